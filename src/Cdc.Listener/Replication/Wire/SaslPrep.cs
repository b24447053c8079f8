using System.Text;

namespace Cdc.Listener.Replication.Wire;

/// <summary>
/// Prepares a password for SCRAM the way PostgreSQL does (RFC 4013 SASLprep, <c>src/common/saslprep.c</c>): the server
/// applied the same steps when it stored the verifier, so any difference makes a correct password fail.
/// </summary>
/// <remarks>
/// PostgreSQL's rules, followed here:
/// <list type="bullet">
/// <item>An all-ASCII password is used exactly as given (even with control characters): no mapping applies to it.</item>
/// <item>Non-ASCII spaces (RFC 3454 table C.1.2) become U+0020; "commonly mapped to nothing" characters (B.1) are dropped.</item>
/// <item>The result is NFKC-normalized.</item>
/// <item>If the result holds a prohibited character, PostgreSQL does not fail: it uses the raw password, and so does this.</item>
/// </list>
/// Approximations, because .NET has no SASLprep: (1) NFKC comes from the system's ICU (<see cref="IcuNfkc"/>), since
/// <see cref="string.Normalize(NormalizationForm)"/> is the identity for non-ASCII text under <c>InvariantGlobalization</c>
/// (as this repository's Directory.Build.props sets); without ICU, a password with compatibility characters (ligatures,
/// full-width forms, superscripts) is sent unnormalized and refused. (2) Unassigned code points are judged by .NET's
/// Unicode version, not Unicode 3.2. (3) The bidirectional check (RFC 3454 section 6) is not made. These only matter for
/// passwords that also contain a mapped or prohibited character.
/// </remarks>
internal static class SaslPrep
{
    /// <summary>Returns the string whose UTF-8 bytes are the SCRAM password.</summary>
    public static string Prepare(string password)
    {
        if (Ascii.IsValid(password))
        {
            return password;
        }

        var mapped = new StringBuilder(password.Length);
        var span = password.AsSpan();
        while (!span.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(span, out var rune, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                // An unpaired surrogate (table C.5) cannot be prepared: PostgreSQL would use the raw bytes.
                return password;
            }

            span = span[consumed..];
            if (IsNonAsciiSpace(rune.Value))
            {
                mapped.Append(' ');
            }
            else if (!IsMappedToNothing(rune.Value))
            {
                mapped.Append(rune.ToString());
            }
        }

        var text = mapped.ToString();
        var normalized = IcuNfkc.TryNormalize(text, out var fromIcu) ? fromIcu : text.Normalize(NormalizationForm.FormKC);
        foreach (var rune in normalized.EnumerateRunes())
        {
            if (IsProhibited(rune))
            {
                return password;
            }
        }

        return normalized;
    }

    /// <summary>RFC 3454 table C.1.2. PostgreSQL checks it before B.1, so U+200B (in both) becomes a space.</summary>
    private static bool IsNonAsciiSpace(int c)
        => c is 0x00A0 or 0x1680 or (>= 0x2000 and <= 0x200B) or 0x202F or 0x205F or 0x3000;

    /// <summary>RFC 3454 table B.1.</summary>
    private static bool IsMappedToNothing(int c)
        => c is 0x00AD or 0x034F or 0x1806 or (>= 0x180B and <= 0x180D) or (>= 0x200B and <= 0x200D)
            or 0x2060 or (>= 0xFE00 and <= 0xFE0F) or 0xFEFF;

    /// <summary>RFC 4013 section 2.3: tables C.1.2 and C.2.1 to C.9, plus unassigned code points (A.1).</summary>
    private static bool IsProhibited(Rune rune)
    {
        var c = rune.Value;
        return IsNonAsciiSpace(c)
            || c is < 0x20 or (>= 0x7F and <= 0x9F) // C.2.1, C.2.2 (C0, DEL, C1 controls)
            || c is 0x06DD or 0x070F or 0x180E or 0x200C or 0x200D or 0x2028 or 0x2029
                or (>= 0x2060 and <= 0x2063) or (>= 0x1D173 and <= 0x1D17A) // rest of C.2.2
            || c is (>= 0xE000 and <= 0xF8FF) or (>= 0xF0000 and <= 0xFFFFD) or (>= 0x100000 and <= 0x10FFFD) // C.3
            || c is (>= 0xFDD0 and <= 0xFDEF) || (c & 0xFFFE) == 0xFFFE // C.4
            || c is >= 0xFFF9 and <= 0xFFFD // C.6
            || c is >= 0x2FF0 and <= 0x2FFB // C.7
            || c is 0x0340 or 0x0341 or 0x200E or 0x200F or (>= 0x202A and <= 0x202E) or (>= 0x206A and <= 0x206F) // C.8
            || c is 0xE0001 or (>= 0xE0020 and <= 0xE007F) // C.9
            || Rune.GetUnicodeCategory(rune) == System.Globalization.UnicodeCategory.OtherNotAssigned;
    }
}
