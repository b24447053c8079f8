using System.Text;

namespace Cdc.Decoding.Values;

/// <summary>A short, printable excerpt of a bad value for an error message.</summary>
internal static class TextPreview
{
    private const int MaxBytes = 64;

    public static string Of(ReadOnlySpan<byte> text)
        => text.Length <= MaxBytes ? Encoding.UTF8.GetString(text) : Encoding.UTF8.GetString(text[..MaxBytes]) + "...";
}
