namespace Cdc.Sink.Connection;

/// <summary>
/// Discovery off: NATS.Net also reconnects to the servers a server announces (<c>connect_urls</c>);
/// this sends every such attempt to the next seed URL instead.
/// </summary>
internal sealed class SeedsOnly
{
    private readonly (string Host, int Port)[] _seeds;
    private int _next;

    public SeedsOnly(IReadOnlyList<string> urls)
    {
        _seeds = urls.Select(ServerUrl.Endpoint).ToArray();
    }

    public ValueTask<(string Host, int Port)> RedirectAsync((string Host, int Port) target)
    {
        if (Array.IndexOf(_seeds, target) >= 0)
        {
            return ValueTask.FromResult(target);
        }

        var index = (int)((uint)Interlocked.Increment(ref _next) % (uint)_seeds.Length);
        return ValueTask.FromResult(_seeds[index]);
    }
}
