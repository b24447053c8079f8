using System.Security.Cryptography;

namespace Cdc.Sink.Nats;

/// <summary>Unique tokens for inboxes (22 base62 characters, like the NATS clients' NUIDs).</summary>
internal static class Nuid
{
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    public static string Next() => RandomNumberGenerator.GetString(Alphabet, 22);
}
