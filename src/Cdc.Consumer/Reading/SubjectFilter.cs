namespace Cdc.Consumer.Reading;

/// <summary>Matches subjects against NATS filters ('*' one token, '&gt;' the rest) on the client.</summary>
internal sealed class SubjectFilter(IReadOnlyList<string> filters)
{
    private readonly string[][] _filters = [.. filters.Select(f => f.Split('.'))];

    public bool IsEmpty => _filters.Length == 0;

    public bool Matches(string subject)
    {
        if (_filters.Length == 0)
        {
            return true;
        }

        var tokens = subject.Split('.');
        foreach (var filter in _filters)
        {
            if (Matches(filter, tokens))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Matches(string[] filter, string[] tokens)
    {
        for (var i = 0; i < filter.Length; i++)
        {
            if (filter[i] == ">")
            {
                return tokens.Length > i;
            }

            if (i >= tokens.Length || (filter[i] != "*" && filter[i] != tokens[i]))
            {
                return false;
            }
        }

        return tokens.Length == filter.Length;
    }
}
