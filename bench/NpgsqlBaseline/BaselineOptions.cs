using System.Globalization;
using NpgsqlTypes;

namespace Cdc.Bench.NpgsqlBaseline;

/// <summary>
/// Command line of the baseline: <c>--connection --slot --publication [--end-lsn] [--latency]</c>.
/// Without <c>--end-lsn</c> it runs until SIGTERM, like a service would.
/// </summary>
internal sealed record BaselineOptions(string Connection, string Slot, string Publication, NpgsqlLogSequenceNumber? EndLsn, bool RecordLatency)
{
    public static BaselineOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var latency = false;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--latency")
            {
                latency = true;
                continue;
            }

            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"unexpected argument '{args[i]}'");
            }

            values[args[i][2..]] = args[++i];
        }

        string Required(string key) => values.TryGetValue(key, out var v)
            ? v
            : throw new ArgumentException($"--{key} is required");

        NpgsqlLogSequenceNumber? endLsn = null;
        if (values.TryGetValue("end-lsn", out var text))
        {
            endLsn = NpgsqlLogSequenceNumber.TryParse(text, out var lsn)
                ? lsn
                : throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"--end-lsn must look like 0/16B3748, got '{text}'"));
        }

        return new BaselineOptions(Required("connection"), Required("slot"), Required("publication"), endLsn, latency);
    }
}
