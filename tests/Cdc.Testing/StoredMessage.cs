using System.Text;

namespace Cdc.Testing;

/// <summary>A message as JetStream stored it.</summary>
public sealed record StoredMessage(ulong Sequence, string Subject, byte[] Data, IReadOnlyDictionary<string, string> Headers)
{
    public string Text => Encoding.UTF8.GetString(Data);

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}
