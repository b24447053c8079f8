using System.Buffers;
using System.Globalization;
using System.Text;
using Npgsql;

namespace Cdc.Listener.Replication.Wire;

/// <summary>
/// The fields of an ErrorResponse or NoticeResponse: one type byte, a NUL-terminated string each, a final NUL.
/// Errors become Npgsql's <see cref="PostgresException"/>, so they are classified the same way whether they came
/// through Npgsql (setup queries) or through the replication connection.
/// </summary>
internal static class ServerMessageFields
{
    public static PostgresException ToException(ReadOnlySequence<byte> body)
    {
        var fields = Parse(body);
        string? Field(char code) => fields.TryGetValue(code, out var value) ? value : null;
        static int Number(string? text) => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;

        var severity = Field('S') ?? Field('V') ?? "ERROR";
        return new PostgresException(
            messageText: Field('M') ?? "(no message)",
            severity: severity,
            invariantSeverity: Field('V') ?? severity,
            sqlState: Field('C') ?? "XX000",
            detail: Field('D'),
            hint: Field('H'),
            position: Number(Field('P')),
            internalPosition: Number(Field('p')),
            internalQuery: Field('q'),
            where: Field('W'),
            schemaName: Field('s'),
            tableName: Field('t'),
            columnName: Field('c'),
            dataTypeName: Field('d'),
            constraintName: Field('n'),
            file: Field('F'),
            line: Field('L'),
            routine: Field('R'));
    }

    /// <summary>"SEVERITY: message" of a notice, for the log.</summary>
    public static string DescribeNotice(ReadOnlySequence<byte> body)
    {
        var fields = Parse(body);
        var severity = fields.GetValueOrDefault('V') ?? fields.GetValueOrDefault('S') ?? "NOTICE";
        return $"{severity}: {fields.GetValueOrDefault('M')}";
    }

    private static Dictionary<char, string> Parse(ReadOnlySequence<byte> body)
    {
        var fields = new Dictionary<char, string>();
        var reader = new SequenceReader<byte>(body);
        while (reader.TryRead(out var code) && code != 0)
        {
            if (!reader.TryReadTo(out ReadOnlySequence<byte> value, 0))
            {
                throw new PgProtocolException($"PostgreSQL sent an error or notice whose field '{(char)code}' is not terminated");
            }

            fields[(char)code] = Encoding.UTF8.GetString(value);
        }

        return fields;
    }
}
