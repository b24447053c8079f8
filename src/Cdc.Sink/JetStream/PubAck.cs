using System.Buffers;
using System.Text.Json;

namespace Cdc.Sink.JetStream;

/// <summary>JetStream's answer to a publish: the stored sequence, or an error.</summary>
public readonly record struct PubAck(string? Stream, ulong Sequence, bool Duplicate, ApiError? Error)
{
    /// <summary>The stream name of the latest PubAck: a publisher's acks name the same stream, so no string per ack.</summary>
    private static StreamName? _lastStream;

    /// <summary>
    /// Parses <c>{"stream":"S","seq":N[,"duplicate":true]}</c> or <c>{"error":{...}}</c> without a
    /// serializer (this runs once per published message).
    /// </summary>
    public static PubAck Parse(ReadOnlySequence<byte> json)
    {
        // A PubAck fits one segment nearly always; the span reader is the faster one.
        var reader = json.IsSingleSegment ? new Utf8JsonReader(json.FirstSpan) : new Utf8JsonReader(json);
        string? stream = null;
        ulong seq = 0;
        var duplicate = false;
        ApiError? error = null;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return Invalid("not a JSON object");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("stream"u8))
                {
                    reader.Read();
                    stream = reader.TokenType == JsonTokenType.String ? ReadStreamName(ref reader) : null;
                }
                else if (reader.ValueTextEquals("seq"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetUInt64(out seq))
                    {
                        return Invalid("seq is not an unsigned integer");
                    }
                }
                else if (reader.ValueTextEquals("duplicate"u8))
                {
                    reader.Read();
                    duplicate = reader.TokenType == JsonTokenType.True;
                }
                else if (reader.ValueTextEquals("error"u8))
                {
                    reader.Read();
                    error = ReadError(ref reader);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (JsonException e)
        {
            return Invalid(e.Message);
        }

        if (error is null && seq == 0)
        {
            return Invalid("no sequence");
        }

        return new PubAck(stream, seq, duplicate, error);
    }

    private static string ReadStreamName(ref Utf8JsonReader reader)
    {
        var last = Volatile.Read(ref _lastStream);
        if (last is not null && reader.ValueTextEquals(last.Utf8))
        {
            return last.Value;
        }

        var name = reader.GetString()!;
        Volatile.Write(ref _lastStream, new StreamName(System.Text.Encoding.UTF8.GetBytes(name), name));
        return name;
    }

    private static PubAck Invalid(string why) =>
        new(null, 0, false, new ApiError { Code = 500, ErrCode = 0, Description = "malformed PubAck: " + why });

    private static ApiError ReadError(ref Utf8JsonReader reader)
    {
        int code = 0, errCode = 0;
        string? description = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("code"u8))
            {
                reader.Read();
                code = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var c) ? c : 500;
            }
            else if (reader.ValueTextEquals("err_code"u8))
            {
                reader.Read();
                errCode = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var ec) ? ec : 0;
            }
            else if (reader.ValueTextEquals("description"u8))
            {
                reader.Read();
                description = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return new ApiError { Code = code, ErrCode = errCode, Description = description };
    }

    private sealed record StreamName(byte[] Utf8, string Value);
}
