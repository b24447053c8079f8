namespace Cdc.Listener.Configuration;

/// <summary>On/off settings typed by people: true/false, yes/no, on/off, 1/0 (any case).</summary>
public static class BoolText
{
    public const string Accepted = "true or false (also yes/no, on/off, 1/0)";

    public static bool TryParse(string? text, out bool value)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "true" or "yes" or "on" or "1":
                value = true;
                return true;
            case "false" or "no" or "off" or "0":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }
}
