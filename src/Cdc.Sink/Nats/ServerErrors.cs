namespace Cdc.Sink.Nats;

/// <summary>
/// Classifies <c>-ERR</c> texts. Per the nats-server source, permission and subject errors leave the
/// connection open; everything else (authorization, parser, max payload, stale, slow consumer, TLS
/// required, max connections ...) is followed by the server closing the connection.
/// </summary>
internal static class ServerErrors
{
    public static bool ClosesConnection(string error) =>
        !(error.StartsWith("Permissions Violation", StringComparison.OrdinalIgnoreCase)
          || error.StartsWith("Invalid Subject", StringComparison.OrdinalIgnoreCase)
          || error.StartsWith("Invalid Publish Subject", StringComparison.OrdinalIgnoreCase));

    public static bool IsAuthorization(string error) =>
        error.Contains("Authorization Violation", StringComparison.OrdinalIgnoreCase)
        || error.Contains("Authentication", StringComparison.OrdinalIgnoreCase)
        || error.Contains("User Authentication Expired", StringComparison.OrdinalIgnoreCase);
}
