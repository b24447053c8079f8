using System.Text;

namespace Cdc.Sink;

/// <summary>Makes names safe as NATS subject tokens.</summary>
public static class SubjectTokens
{
    /// <summary>
    /// Replaces what a token may not contain (<c>.</c>, <c>*</c>, <c>&gt;</c>, whitespace, control and non-ASCII
    /// characters) with <c>_</c>; an empty name becomes <c>_</c>.
    /// </summary>
    public static string Sanitize(string name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "_";
        }

        var clean = true;
        foreach (var c in name)
        {
            if (!IsAllowed(c))
            {
                clean = false;
                break;
            }
        }

        if (clean)
        {
            return name;
        }

        var builder = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            builder.Append(IsAllowed(c) ? c : '_');
        }

        return builder.ToString();
    }

    /// <summary>Joins sanitised tokens with dots (the prefix is kept as given: it may hold several tokens).</summary>
    public static string Join(string prefix, params ReadOnlySpan<string> tokens)
    {
        var builder = new StringBuilder(prefix);
        foreach (var token in tokens)
        {
            if (builder.Length > 0)
            {
                builder.Append('.');
            }

            builder.Append(Sanitize(token));
        }

        return builder.ToString();
    }

    private static bool IsAllowed(char c) => c is > ' ' and < (char)127 and not '.' and not '*' and not '>';
}
