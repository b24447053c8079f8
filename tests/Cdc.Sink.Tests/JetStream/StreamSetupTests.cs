using Cdc.Sink.JetStream;
using Cdc.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Cdc.Sink.Tests.JetStream;

public sealed class StreamSetupTests
{
    [Fact]
    public async Task EnsureStream_creates_then_accepts_the_same_config_then_reports_a_mismatch_in_validate_mode()
    {
        await using var server = await NatsServer.StartAsync();
        await using var nats = new NatsConnection(NatsOpts.Default with { Url = server.Url });
        var js = new NatsJSContext(nats);
        var options = new JetStreamStreamOptions { Name = "ORDERS", Subjects = ["orders.>"], DuplicateWindow = TimeSpan.FromMinutes(1), MaxAge = TimeSpan.FromHours(1) };

        var created = await StreamSetup.EnsureStreamAsync(js, options);
        var again = await StreamSetup.EnsureStreamAsync(js, options);
        var error = await Assert.ThrowsAsync<JetStreamException>(() =>
            StreamSetup.EnsureStreamAsync(js, options with { MaxAge = TimeSpan.FromHours(2), Subjects = ["orders.>", "more.>"], Mode = StreamSetupMode.CreateOrValidate }));
        var updated = await StreamSetup.EnsureStreamAsync(js, options with { MaxAge = TimeSpan.FromHours(2) });

        Assert.Equal(StreamConfigStorage.File, created.Config.Storage);
        Assert.Equal(TimeSpan.FromMinutes(1), again.Config.DuplicateWindow);
        Assert.Equal(10058, error.ErrCode);
        Assert.Contains("max_age 3600000000000 instead of 7200000000000", error.Message, StringComparison.Ordinal);
        Assert.Contains("subjects [orders.>] instead of [orders.>,more.>]", error.Message, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromHours(2), updated.Config.MaxAge);
    }

    [Fact]
    public async Task EnsureStream_keeps_what_an_operator_set_on_an_existing_stream_unless_the_options_set_it()
    {
        await using var server = await NatsServer.StartAsync();
        await using var nats = new NatsConnection(NatsOpts.Default with { Url = server.Url });
        var js = new NatsJSContext(nats);
        var options = new JetStreamStreamOptions { Name = "ORDERS", Subjects = ["orders.>"] };
        var created = await StreamSetup.EnsureStreamAsync(js, options);
        await js.UpdateStreamAsync(created.Config with
        {
            Description = "capped by the operator",
            MaxBytes = 1 << 20,
            MaxMsgs = 500,
            MaxAge = TimeSpan.FromDays(3),
            Discard = StreamConfigDiscard.New,
            DuplicateWindow = TimeSpan.FromMinutes(30),
        });

        var kept = await StreamSetup.EnsureStreamAsync(js, options with { Mode = StreamSetupMode.CreateOrValidate });
        var changed = await StreamSetup.EnsureStreamAsync(js, options with { MaxBytes = 2 << 20, DuplicateWindow = TimeSpan.FromMinutes(5) });

        Assert.Equal(-1, created.Config.MaxBytes);
        Assert.Equal(TimeSpan.FromMinutes(2), created.Config.DuplicateWindow);
        Assert.Equal(1 << 20, kept.Config.MaxBytes);
        Assert.Equal(500, kept.Config.MaxMsgs);
        Assert.Equal(TimeSpan.FromDays(3), kept.Config.MaxAge);
        Assert.Equal(StreamConfigDiscard.New, kept.Config.Discard);
        Assert.Equal(TimeSpan.FromMinutes(30), kept.Config.DuplicateWindow);
        Assert.Equal(2 << 20, changed.Config.MaxBytes);
        Assert.Equal(TimeSpan.FromMinutes(5), changed.Config.DuplicateWindow);
        Assert.Equal(500, changed.Config.MaxMsgs);
        Assert.Equal(StreamConfigDiscard.New, changed.Config.Discard);
        Assert.Equal("capped by the operator", changed.Config.Description);
    }

    [Fact]
    public async Task EnsureStream_in_validate_only_mode_refuses_a_missing_stream()
    {
        await using var server = await NatsServer.StartAsync();
        await using var nats = new NatsConnection(NatsOpts.Default with { Url = server.Url });
        var js = new NatsJSContext(nats);

        var error = await Assert.ThrowsAsync<JetStreamException>(() =>
            StreamSetup.EnsureStreamAsync(js, new JetStreamStreamOptions { Name = "MISSING", Subjects = ["missing.>"], Mode = StreamSetupMode.ValidateOnly }));

        Assert.True(error.IsStreamNotFound);
        Assert.Contains("ValidateOnly", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StreamConfigDiff_names_every_differing_field_as_the_api_spells_it()
    {
        var wanted = new JetStreamStreamOptions { Name = "S", Subjects = ["a.>"] }.ToConfig();
        var actual = new JetStreamStreamOptions
        {
            Name = "S",
            Subjects = ["b.>"],
            Retention = StreamRetention.WorkQueue,
            Storage = StreamStorage.Memory,
            Replicas = 3,
            DuplicateWindow = TimeSpan.FromMinutes(5),
            MaxAge = TimeSpan.FromDays(1),
            MaxBytes = 10,
            MaxMessages = 11,
            MaxMessageSize = 12,
            Discard = StreamDiscard.New,
        }.ToConfig();

        var differences = StreamConfigDiff.Describe(wanted, actual);

        Assert.Equal(
            [
                "subjects [b.>] instead of [a.>]",
                "retention workqueue instead of limits",
                "storage memory instead of file",
                "num_replicas 3 instead of 1",
                "duplicate_window 300000000000 instead of 120000000000",
                "max_age 86400000000000 instead of 0",
                "max_bytes 10 instead of -1",
                "max_msgs 11 instead of -1",
                "max_msg_size 12 instead of -1",
                "discard new instead of old",
            ],
            differences);
        Assert.Empty(StreamConfigDiff.Describe(wanted, wanted));
    }
}
