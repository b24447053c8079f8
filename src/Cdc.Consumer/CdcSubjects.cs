using System.Text;

namespace Cdc.Consumer;

/// <summary>Subject filters for Cdc's stream, built the way the listener names subjects.</summary>
public static class CdcSubjects
{
    /// <summary>
    /// A table's row changes: <c>&lt;prefix&gt;.&lt;database&gt;.&lt;schema&gt;.&lt;table&gt;</c>; with <paramref name="operation"/>
    /// (<c>insert</c>, <c>update</c>, <c>delete</c>, <c>truncate</c>; needs the listener's <c>IncludeOperation</c>) only those.
    /// </summary>
    public static string Table(string prefix, string database, string schema, string table, string? operation = null)
    {
        var subject = prefix + "." + Token(database) + "." + Token(schema) + "." + Token(table);
        return operation is null ? subject : subject + "." + operation;
    }

    /// <summary>A table's schema (relation) events.</summary>
    public static string TableSchema(string prefix, string database, string schema, string table)
        => Table(prefix, database, schema, table) + "._schema";

    /// <summary>Logical decoding messages with the given message prefix, or all of them (<c>*</c>).</summary>
    public static string Messages(string prefix, string database, string messagePrefix = "*")
        => prefix + "." + Token(database) + "._message." + (messagePrefix == "*" ? "*" : Token(messagePrefix));

    /// <summary>
    /// Outbox messages (<c>Cdc:Outbox:Tables</c>) on <c>&lt;prefix&gt;.&lt;database&gt;._outbox.&lt;subject&gt;</c>; by default all
    /// of them (<c>&gt;</c>). <paramref name="subject"/> is a subject filter as the rows name it (wildcards allowed).
    /// </summary>
    public static string Outbox(string prefix, string database, string subject = ">")
        => prefix + "." + Token(database) + "._outbox." + subject;

    /// <summary>Makes a name one subject token as the listener does ('.', '*', '&gt;' and whitespace become '_').</summary>
    public static string Token(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0)
        {
            return "_";
        }

        var builder = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            builder.Append(c is ' ' or '\t' or '\r' or '\n' or '.' or '*' or '>' ? '_' : c);
        }

        return builder.ToString();
    }
}
