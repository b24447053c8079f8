namespace Cdc.Listener.Source;

/// <summary>
/// <c>Cdc:PasswordFile</c>: a file holding only the password, read again at every connect so that a password
/// that rotates (a cloud IAM token, a Kubernetes secret that is updated in place) is picked up by the next
/// reconnect. One trailing line break is not part of the password.
/// </summary>
public static class PasswordFile
{
    /// <exception cref="ReplicationInterruptedException">
    /// The file cannot be read just now (being replaced, briefly missing): transient, the next attempt reads it again.
    /// </exception>
    public static string Read(string path)
    {
        string content;
        try
        {
            content = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ReplicationInterruptedException($"cannot read Cdc:PasswordFile '{path}': {e.Message}", e);
        }

        return content.EndsWith("\r\n", StringComparison.Ordinal) ? content[..^2]
            : content.EndsWith('\n') ? content[..^1]
            : content;
    }
}
