using Cdc.Sink.JetStream;

namespace Cdc.Sink.Tests.JetStream;

/// <summary>
/// The PubAck errors JetStream answers when it has no room name the limit to change (10077 "maximum bytes exceeded" and
/// 10023 "insufficient resources" seen from nats-server 2.9.10 at a stream's max_bytes with discard new and at the server's
/// max_file_store; the others are its codes for the other limits); every other error is not a storage refusal.
/// </summary>
public sealed class StorageFullTests
{
    [Theory]
    [InlineData(503, 10077, "maximum bytes exceeded", "max_bytes")]
    [InlineData(503, 10077, "maximum messages exceeded", "max_msgs")]
    [InlineData(503, 10077, "maximum messages per subject exceeded", "max_msgs_per_subject")]
    [InlineData(503, 10023, "insufficient resources", "max_file_store")]
    [InlineData(400, 10002, "resource limits exceeded for account", "max_file_store")]
    public void A_refusal_for_want_of_room_names_the_limit_and_says_Cdc_holds(int code, int errCode, string description, string limit)
    {
        var line = StorageFull.Describe(new ApiError { Code = code, ErrCode = errCode, Description = description }, "CDC");

        Assert.NotNull(line);
        Assert.Contains("CDC", line, StringComparison.Ordinal);
        Assert.Contains("raise", line, StringComparison.Ordinal);
        Assert.Contains(limit, line, StringComparison.Ordinal);
        Assert.Contains("the slot does not advance", line, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', line);
    }

    [Theory]
    [InlineData(503, 0, "no responders")]
    [InlineData(400, 10070, "wrong last msg ID: x")]
    [InlineData(400, 10060, "expected stream does not match")]
    [InlineData(503, 10077, "store closed")]
    public void Other_errors_are_not_storage_refusals(int code, int errCode, string description)
        => Assert.Null(StorageFull.Describe(new ApiError { Code = code, ErrCode = errCode, Description = description }, "CDC"));
}
