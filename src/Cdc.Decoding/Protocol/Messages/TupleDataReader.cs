namespace Cdc.Decoding.Protocol.Messages;

/// <summary>
/// TupleData: Int16 ncols, then per column <c>n</c> (null), <c>u</c> (unchanged TOAST), <c>t</c>/<c>b</c>
/// Int32 length + bytes (<c>b</c> only when binary was requested: <see cref="PgOutputOptions.Binary"/>). Values are slices of the message, copied only when they span segments.
/// </summary>
internal static class TupleDataReader
{
    public static void Read(ref PgReader reader, TupleData tuple)
    {
        var count = reader.ReadInt16();

        // Every column takes at least its kind byte: a count above the bytes left is a lie.
        if (count < 0 || count > reader.Options.MaxColumns || count > reader.Remaining)
        {
            throw reader.Error($"tuple column count {count} is negative, above the cap {reader.Options.MaxColumns} or more than the bytes left allow");
        }

        tuple.Reset(count);
        for (var i = 0; i < count; i++)
        {
            var kind = reader.ReadByte();
            switch (kind)
            {
                case (byte)'n':
                    tuple.Set(i, TupleValueKind.Null, default);
                    break;
                case (byte)'u':
                    tuple.Set(i, TupleValueKind.UnchangedToast, default);
                    break;
                case (byte)'b' when !reader.Options.Binary:
                    throw reader.Error($"binary value in column {i}, but binary format was not requested");
                case (byte)'t':
                case (byte)'b':
                    var length = reader.ReadInt32();
                    tuple.Set(i, (TupleValueKind)kind, reader.ReadBytes(length, tuple.Copies));
                    break;
                default:
                    throw reader.Error($"unknown tuple value kind 0x{kind:X2} in column {i}");
            }
        }
    }
}
