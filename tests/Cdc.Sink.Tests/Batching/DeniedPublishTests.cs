using Cdc.Sink.Connection;
using Cdc.Sink.JetStream;
using Cdc.Sink.Tests.Support;
using Cdc.Testing;

namespace Cdc.Sink.Tests.Batching;

/// <summary>
/// A publish the server drops for a permissions violation gets no PubAck, only an -ERR on the connection: the writer
/// retries it for <see cref="BatchWriterOptions.NoStreamRetryTime"/>, then fails that message alone and stores the rest.
/// </summary>
public sealed class DeniedPublishTests
{
    private static readonly JetStreamStreamOptions Stream = new() { Name = "CDC", Subjects = ["cdc.>"] };

    private const string Permissions = """
        authorization {
          users = [ { user: cdc, password: cdcpw, permissions: { publish: { deny: ["cdc.db.public.secret"] } } } ]
        }
        """;

    [Fact]
    public async Task A_denied_publish_fails_alone_after_the_retry_time_and_the_messages_around_it_are_stored()
    {
        await using var server = await NatsServer.StartAsync(Permissions);
        var acks = new RecordingAckHandler();
        var options = new BatchWriterOptions { NoStreamRetryTime = TimeSpan.FromSeconds(1), AckTimeout = TimeSpan.FromSeconds(30) };
        await using var writer = new StreamingBatchWriter(new NatsOptions { Urls = [server.Url], User = "cdc", Password = "cdcpw" }, Stream, options, acks);
        await writer.StartAsync();

        var started = DateTime.UtcNow;
        await writer.WriteAsync(Messages.Row("t", 0));
        await writer.WriteAsync(Messages.Row("secret", 1));
        await writer.WriteAsync(Messages.Row("t", 2));
        await writer.FlushAsync();
        await acks.WaitReportedAsync(3);

        // Well before the 30 s ack timeout: the -ERR is what ended the wait.
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(20), $"took {DateTime.UtcNow - started}");
        var failure = Assert.Single(acks.Failed);
        Assert.Equal(1, failure.Message.State);
        var denied = Assert.IsType<PublishDeniedException>(failure.Error);
        Assert.Equal("cdc.db.public.secret", denied.Subject);
        Assert.Contains("Permissions Violation for Publish", denied.Message, StringComparison.Ordinal);
        Assert.Equal([0, 2], acks.Acked.Select(a => (int)a.Message.State!).Order());
        Assert.Equal(0, acks.DoubleReports);
    }
}
