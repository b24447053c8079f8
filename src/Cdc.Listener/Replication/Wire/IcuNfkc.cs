using System.Globalization;
using System.Runtime.InteropServices;

namespace Cdc.Listener.Replication.Wire;

/// <summary>
/// NFKC normalization from the system's ICU (libicuuc), for SASLprep. .NET normalizes through ICU too, but not under
/// <c>InvariantGlobalization</c>, which this project sets: there <see cref="string.Normalize()"/> returns non-ASCII text
/// unchanged, and a password with compatibility characters (ligatures, full-width forms, Roman numerals) would not match
/// the verifier PostgreSQL derived from its normalized form. Loaded on first use; absent ICU leaves text unchanged.
/// </summary>
internal static class IcuNfkc
{
    private const int BufferOverflowError = 15; // U_BUFFER_OVERFLOW_ERROR

    private static readonly Lazy<Functions?> Loaded = new(Load);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr GetNfkcInstance(ref int errorCode);

    // Unicode: ICU's UChar is UTF-16, so the arrays are passed pinned as they are (the default would be ANSI).
    [UnmanagedFunctionPointer(CallingConvention.Cdecl, CharSet = CharSet.Unicode)]
    private delegate int Normalize(IntPtr normalizer, char[] source, int length, [Out] char[] destination, int capacity, ref int errorCode);

    /// <summary>True when ICU was found and its NFKC instance could be opened.</summary>
    public static bool IsAvailable => Loaded.Value is not null;

    /// <summary>The NFKC form of <paramref name="text"/>; false (and the text unchanged) when ICU is missing or fails.</summary>
    public static bool TryNormalize(string text, out string normalized)
    {
        normalized = text;
        if (Loaded.Value is not { } icu)
        {
            return false;
        }

        if (text.Length == 0)
        {
            return true;
        }

        var source = text.ToCharArray();
        var destination = new char[Math.Max(16, text.Length * 2)];
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var error = 0;
            var length = icu.Normalize(icu.Instance, source, source.Length, destination, destination.Length, ref error);
            if (error == BufferOverflowError)
            {
                destination = new char[length];
                continue;
            }

            if (error > 0)
            {
                return false;
            }

            normalized = new string(destination, 0, length);
            return true;
        }

        return false;
    }

    private static Functions? Load()
    {
        // Debian and most distributions ship only versioned sonames, whose exported functions carry the version too.
        for (var version = 90; version >= 50; version--)
        {
            var suffix = "_" + version.ToString(CultureInfo.InvariantCulture);
            if (!NativeLibrary.TryLoad("libicuuc.so." + version.ToString(CultureInfo.InvariantCulture), out var library))
            {
                continue;
            }

            if (NativeLibrary.TryGetExport(library, "unorm2_getNFKCInstance" + suffix, out var getInstance)
                && NativeLibrary.TryGetExport(library, "unorm2_normalize" + suffix, out var normalize))
            {
                var error = 0;
                var instance = Marshal.GetDelegateForFunctionPointer<GetNfkcInstance>(getInstance)(ref error);
                if (error <= 0 && instance != IntPtr.Zero)
                {
                    return new Functions(instance, Marshal.GetDelegateForFunctionPointer<Normalize>(normalize));
                }
            }

            NativeLibrary.Free(library);
        }

        return null;
    }

    private sealed record Functions(IntPtr Instance, Normalize Normalize);
}
