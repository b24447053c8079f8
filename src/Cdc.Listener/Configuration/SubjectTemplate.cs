using System.Text;
using System.Text.RegularExpressions;

namespace Cdc.Listener.Configuration;

/// <summary>
/// <c>Cdc:Nats:SubjectTemplate</c>: where a table's row changes go, after <c>&lt;prefix&gt;.</c>. Tokens separated by dots,
/// each literal text or placeholders <c>{database}</c>, <c>{schema}</c>, <c>{table}</c>, <c>{operation}</c> (insert,
/// update, delete, truncate, read), e.g. <c>{schema}.{table}.{operation}</c> or <c>orders.{operation}</c>. A name put in
/// a placeholder becomes one valid token ('.', '*', '&gt;' and whitespace become '_'). The prefix stays first, so the
/// stream's subjects (<c>&lt;prefix&gt;.&gt;</c>) hold every routed subject; schema events and snapshot markers keep
/// <c>&lt;prefix&gt;.&lt;database&gt;.&lt;schema&gt;.&lt;table&gt;._schema</c> / <c>._snapshot</c>.
/// </summary>
public sealed partial class SubjectTemplate
{
    public const string Key = "Cdc:Nats:SubjectTemplate";

    /// <summary>The layout without a template: <c>&lt;prefix&gt;.&lt;database&gt;.&lt;schema&gt;.&lt;table&gt;</c>.</summary>
    public const string Default = "{database}.{schema}.{table}";

    private static readonly string[] Placeholders = ["database", "schema", "table", "operation"];

    /// <summary>Tokens Cdc itself publishes under a table or database: a literal token may not be one of them.</summary>
    private static readonly string[] Reserved = ["_schema", "_snapshot", "_message"];

    private readonly string _template;

    private SubjectTemplate(string template)
    {
        _template = template;
        HasOperation = template.Contains("{operation}", StringComparison.Ordinal);
    }

    /// <summary>True when row changes of one table go to a subject per operation.</summary>
    public bool HasOperation { get; }

    /// <summary>
    /// The template of the settings: <see cref="Default"/> when empty, with <c>.{operation}</c> appended when
    /// <c>Cdc:Nats:SubjectIncludesOperation</c> is true; refuses a template that is not one.
    /// </summary>
    public static SubjectTemplate From(string? template, bool includeOperation)
    {
        if (string.IsNullOrWhiteSpace(template))
        {
            return new SubjectTemplate(includeOperation ? Default + ".{operation}" : Default);
        }

        var parsed = Parse(template);
        if (includeOperation)
        {
            if (parsed.HasOperation)
            {
                throw new CdcConfigurationException(
                    $"{Key} = '{template}' has {{operation}} and Cdc:Nats:SubjectIncludesOperation is true, which would add it again: set one of them");
            }

            return new SubjectTemplate(template + ".{operation}");
        }

        return parsed;
    }

    /// <summary>Checks the template's syntax; throws <see cref="CdcConfigurationException"/> naming what to change.</summary>
    private static SubjectTemplate Parse(string template)
    {
        foreach (var token in template.Split('.'))
        {
            if (token.Length == 0)
            {
                throw Invalid(template, "a token is empty (two dots, or a dot at an end)");
            }

            var literal = PlaceholderPattern().Replace(token, match =>
                Placeholders.Contains(match.Groups[1].Value, StringComparer.Ordinal)
                    ? string.Empty
                    : throw Invalid(template, $"{match.Value} is not a placeholder; use {{database}}, {{schema}}, {{table}} or {{operation}}"));
            if (literal.AsSpan().IndexOfAny(" \t\r\n*>{}") >= 0)
            {
                throw Invalid(template, $"'{token}' holds a character a subject token cannot (space, '*', '>') or a brace outside a placeholder");
            }

            if (Reserved.Contains(token, StringComparer.Ordinal))
            {
                throw Invalid(template, $"'{token}' is a token Cdc publishes schema events, snapshot markers or messages under");
            }
        }

        return new SubjectTemplate(template);
    }

    /// <summary>The subject after the prefix for one table and operation (<c>null</c>: a template without {operation}).</summary>
    public string Render(string database, string schema, string table, string? operation)
    {
        var subject = new StringBuilder(_template)
            .Replace("{database}", Token(database))
            .Replace("{schema}", Token(schema))
            .Replace("{table}", Token(table));
        return operation is null ? subject.ToString() : subject.Replace("{operation}", operation).ToString();
    }

    /// <summary>Makes a name usable as one subject token ('.', '*', '&gt;' and whitespace become '_').</summary>
    public static string Token(string name)
    {
        if (name.Length == 0)
        {
            return "_";
        }

        if (name.AsSpan().IndexOfAny(" \t\r\n.*>") < 0)
        {
            return name;
        }

        var builder = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            builder.Append(c is ' ' or '\t' or '\r' or '\n' or '.' or '*' or '>' ? '_' : c);
        }

        return builder.ToString();
    }

    private static CdcConfigurationException Invalid(string template, string why) => new($"{Key} = '{template}' is not valid: {why}");

    [GeneratedRegex(@"\{([^{}]*)\}")]
    private static partial Regex PlaceholderPattern();
}
