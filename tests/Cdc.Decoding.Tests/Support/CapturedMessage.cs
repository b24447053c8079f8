using System.Globalization;
using System.Text;

namespace Cdc.Decoding.Tests.Support;

/// <summary>One pgoutput message as returned by pg_logical_slot_peek_binary_changes: its LSN, xid and bytes.</summary>
public sealed record CapturedMessage(ulong Lsn, uint Xid, byte[] Data)
{
    public char Type => (char)Data[0];

    /// <summary>Capture files: one message a line, <c>LSN-hex xid data-hex</c>; lines starting with # are comments.</summary>
    public static IReadOnlyList<CapturedMessage> Load(string path)
    {
        var result = new List<CapturedMessage>();
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var parts = line.Split(' ');
            result.Add(new CapturedMessage(ulong.Parse(parts[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                uint.Parse(parts[1], CultureInfo.InvariantCulture), Convert.FromHexString(parts[2])));
        }

        return result;
    }

    public static IReadOnlyList<CapturedMessage> LoadCaptured(string name)
        => Load(Path.Combine(AppContext.BaseDirectory, "Captured", name));

    public static void Save(string path, string comment, IEnumerable<CapturedMessage> messages)
    {
        var text = new StringBuilder();
        foreach (var line in comment.Split('\n'))
        {
            text.Append("# ").Append(line).Append('\n');
        }

        foreach (var m in messages)
        {
            text.Append(CultureInfo.InvariantCulture, $"{m.Lsn:X} {m.Xid} {Convert.ToHexString(m.Data)}\n");
        }

        File.WriteAllText(path, text.ToString());
    }
}
