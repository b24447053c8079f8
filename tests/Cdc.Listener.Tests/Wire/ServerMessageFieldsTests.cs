using System.Buffers;
using System.Text;
using Cdc.Listener.Replication.Wire;
using Cdc.Testing;

namespace Cdc.Listener.Tests.Wire;

public sealed class ServerMessageFieldsTests
{
    private static ReadOnlySequence<byte> Fields(params (char Code, string Value)[] fields)
    {
        var text = new StringBuilder();
        foreach (var (code, value) in fields)
        {
            text.Append(code).Append(value).Append('\0');
        }

        return new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(text.Append('\0').ToString()));
    }

    [Fact]
    public void Every_field_of_an_error_lands_in_the_PostgresException()
    {
        var body = Fields(
            ('S', "FEHLER"), ('V', "ERROR"), ('C', "42704"), ('M', "replication slot \"x\" does not exist"), ('D', "detail"),
            ('H', "hint"), ('P', "12"), ('p', "3"), ('q', "internal query"), ('W', "where"), ('s', "schema"), ('t', "table"),
            ('c', "column"), ('d', "type"), ('n', "constraint"), ('F', "slot.c"), ('L', "417"), ('R', "ReplicationSlotAcquire"));

        foreach (var sequence in new[] { body, Segments.PerByte(body.ToArray()) })
        {
            var e = ServerMessageFields.ToException(sequence);

            Assert.Equal("FEHLER", e.Severity);
            Assert.Equal("ERROR", e.InvariantSeverity);
            Assert.Equal("42704", e.SqlState);
            Assert.Equal("replication slot \"x\" does not exist", e.MessageText);
            Assert.Equal("detail", e.Detail);
            Assert.Equal("hint", e.Hint);
            Assert.Equal(12, e.Position);
            Assert.Equal(3, e.InternalPosition);
            Assert.Equal("internal query", e.InternalQuery);
            Assert.Equal("where", e.Where);
            Assert.Equal("schema", e.SchemaName);
            Assert.Equal("table", e.TableName);
            Assert.Equal("column", e.ColumnName);
            Assert.Equal("type", e.DataTypeName);
            Assert.Equal("constraint", e.ConstraintName);
            Assert.Equal("slot.c", e.File);
            Assert.Equal("417", e.Line);
            Assert.Equal("ReplicationSlotAcquire", e.Routine);
        }
    }

    [Fact]
    public void Missing_fields_get_defaults_and_unknown_fields_are_skipped()
    {
        var e = ServerMessageFields.ToException(Fields(('Z', "future field"), ('M', "boom")));

        Assert.Equal("boom", e.MessageText);
        Assert.Equal("XX000", e.SqlState);
        Assert.Equal("ERROR", e.Severity);
        Assert.Null(e.Detail);
        Assert.Equal(0, e.Position);
    }

    [Fact]
    public void Non_ascii_text_is_decoded_as_UTF8()
    {
        var e = ServerMessageFields.ToException(Fields(('C', "28P01"), ('M', "Passwort-Authentifizierung für Benutzer »cdc« fehlgeschlagen")));

        Assert.Equal("Passwort-Authentifizierung für Benutzer »cdc« fehlgeschlagen", e.MessageText);
    }

    [Fact]
    public void Unterminated_field_is_a_protocol_error_naming_it()
    {
        var body = new ReadOnlySequence<byte>("SERROR\0Mno terminator"u8.ToArray());

        var e = Assert.Throws<PgProtocolException>(() => ServerMessageFields.ToException(body));

        Assert.Contains("'M'", e.Message, StringComparison.Ordinal);
        Assert.Throws<PgProtocolException>(() => ServerMessageFields.DescribeNotice(Segments.PerByte("SERROR\0Mno terminator"u8)));
    }

    [Fact]
    public void Notice_is_described_by_its_untranslated_severity_and_message()
    {
        Assert.Equal("WARNING: careful", ServerMessageFields.DescribeNotice(Fields(('S', "WARNUNG"), ('V', "WARNING"), ('M', "careful"))));
        Assert.Equal("NOTICE: hello", ServerMessageFields.DescribeNotice(Fields(('S', "NOTICE"), ('M', "hello"))));
    }
}
