using System.Text.RegularExpressions;

namespace Cdc.Listener.Configuration;

/// <summary>
/// Hides the secrets in URLs before they are shown (<c>/status</c>, <c>cdc status</c>) or logged: the password of
/// <c>scheme://user:password@host</c> and the token of <c>scheme://token@host</c> become <c>***</c>; user names,
/// hosts and ports stay. Works on any text (lists of URLs, error messages quoting one).
/// </summary>
internal static partial class UrlRedaction
{
    public const string Mask = "***";

    /// <summary>The text with every URL's user-info secret masked.</summary>
    public static string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Contains("://", StringComparison.Ordinal) && text.Contains('@', StringComparison.Ordinal)
            ? UserInfo().Replace(text, m => m.Groups["scheme"].Value + Hide(m.Groups["userinfo"].Value) + "@")
            : text;
    }

    /// <summary><see cref="Redact(string)"/> that lets null through.</summary>
    public static string? RedactOrNull(string? text) => text is null ? null : Redact(text);

    private static string Hide(string userInfo)
    {
        var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? Mask : userInfo[..(colon + 1)] + Mask;
    }

    // Greedy up to the last '@' before the path, so a password holding an unescaped '@' is hidden whole.
    [GeneratedRegex(@"(?<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)(?<userinfo>[^/?#\s]*)@", RegexOptions.CultureInvariant)]
    private static partial Regex UserInfo();
}
