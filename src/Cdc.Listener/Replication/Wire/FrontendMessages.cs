using System.Buffers.Binary;
using System.Text;

namespace Cdc.Listener.Replication.Wire;

/// <summary>
/// The frontend (client to server) messages of a replication connection, built as byte arrays: apart from the
/// standby status update, which is written into a reused buffer, they are sent once per connection.
/// </summary>
internal static class FrontendMessages
{
    /// <summary>Protocol 3.0.</summary>
    private const int ProtocolVersion = 3 << 16;
    private const int SslRequestCode = 80877103;

    /// <summary>Size of a standby status update: 'd', length, 'r', write, flush, apply, clock, reply flag.</summary>
    public const int StandbyStatusUpdateSize = 1 + 4 + 1 + 8 + 8 + 8 + 8 + 1;

    public static byte[] SslRequest()
    {
        var message = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(message, 8);
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(4), SslRequestCode);
        return message;
    }

    public static byte[] Startup(IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var body = new List<byte>(256);
        foreach (var (name, value) in parameters)
        {
            AppendCString(body, name);
            AppendCString(body, value);
        }

        body.Add(0);
        var message = new byte[8 + body.Count];
        BinaryPrimitives.WriteInt32BigEndian(message, message.Length);
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(4), ProtocolVersion);
        body.CopyTo(message, 8);
        return message;
    }

    /// <summary>PasswordMessage: a cleartext or MD5 password, NUL-terminated.</summary>
    public static byte[] Password(ReadOnlySpan<byte> password)
    {
        var message = Typed((byte)'p', password.Length + 1);
        password.CopyTo(message.AsSpan(5));
        return message;
    }

    /// <summary>SASLInitialResponse: the mechanism chosen and the client-first message.</summary>
    public static byte[] SaslInitialResponse(string mechanism, ReadOnlySpan<byte> data)
    {
        var name = Encoding.UTF8.GetBytes(mechanism);
        var message = Typed((byte)'p', name.Length + 1 + 4 + data.Length);
        name.CopyTo(message, 5);
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(5 + name.Length + 1), data.Length);
        data.CopyTo(message.AsSpan(5 + name.Length + 1 + 4));
        return message;
    }

    /// <summary>SASLResponse: the client-final message.</summary>
    public static byte[] SaslResponse(ReadOnlySpan<byte> data)
    {
        var message = Typed((byte)'p', data.Length);
        data.CopyTo(message.AsSpan(5));
        return message;
    }

    /// <summary>A simple Query; the replication commands (START_REPLICATION, IDENTIFY_SYSTEM) travel this way.</summary>
    public static byte[] Query(string sql)
    {
        var text = Encoding.UTF8.GetBytes(sql);
        var message = Typed((byte)'Q', text.Length + 1);
        text.CopyTo(message, 5);
        return message;
    }

    public static byte[] CopyDone() => Typed((byte)'c', 0);

    public static byte[] Terminate() => Typed((byte)'X', 0);

    /// <summary>
    /// Standby status update inside CopyData: positions written, flushed and applied, the client's clock in
    /// microseconds since 2000-01-01, and whether the server should reply at once.
    /// </summary>
    public static void WriteStandbyStatusUpdate(Span<byte> destination, ulong written, ulong flushed, ulong applied, long clockMicros, bool requestReply)
    {
        destination[0] = (byte)'d';
        BinaryPrimitives.WriteInt32BigEndian(destination[1..], StandbyStatusUpdateSize - 1);
        destination[5] = (byte)'r';
        BinaryPrimitives.WriteUInt64BigEndian(destination[6..], written);
        BinaryPrimitives.WriteUInt64BigEndian(destination[14..], flushed);
        BinaryPrimitives.WriteUInt64BigEndian(destination[22..], applied);
        BinaryPrimitives.WriteInt64BigEndian(destination[30..], clockMicros);
        destination[38] = requestReply ? (byte)1 : (byte)0;
    }

    private static byte[] Typed(byte code, int bodyLength)
    {
        var message = new byte[5 + bodyLength];
        message[0] = code;
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(1), 4 + bodyLength);
        return message;
    }

    private static void AppendCString(List<byte> destination, string value)
    {
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException($"a startup parameter may not contain NUL characters: '{value.Replace("\0", "\\0", StringComparison.Ordinal)}'");
        }

        destination.AddRange(Encoding.UTF8.GetBytes(value));
        destination.Add(0);
    }
}
