namespace Cdc.Listener.Configuration;

/// <summary>Edit distance, to name the setting a misspelt key most likely meant.</summary>
public static class Levenshtein
{
    /// <summary>Insertions, deletions and substitutions (case-insensitive) that turn <paramref name="a"/> into <paramref name="b"/>.</summary>
    public static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + substitution);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }

    /// <summary>The candidate nearest to <paramref name="text"/>; the first of equals.</summary>
    public static string Closest(string text, IEnumerable<string> candidates)
        => candidates.MinBy(c => Distance(text, c)) ?? throw new ArgumentException("no candidates", nameof(candidates));
}
