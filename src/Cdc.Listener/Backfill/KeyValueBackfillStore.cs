using System.Text;
using System.Text.Json;
using Cdc.Listener.Configuration;
using Cdc.Listener.Pipeline;
using Cdc.Sink.Connection;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace Cdc.Listener.Backfill;

/// <summary>
/// Backfill progress in a JetStream key-value bucket (<c>cdc_backfill_&lt;slot&gt;</c>, one key per table, history 1),
/// on its own connection to the same NATS as the stream. Kept next to the data it describes: a chunk counts as done
/// once JetStream acknowledged its rows, and the same servers then record it, with the stream's storage and replicas;
/// PostgreSQL stays untouched (no table in the user's schema), and a restarted PostgreSQL loses nothing of it.
/// </summary>
internal sealed class KeyValueBackfillStore(CdcOptions options, ILoggerFactory loggerFactory) : IBackfillStore
{
    private readonly NatsConnection _connection = new(NatsOptsFactory.Create(SinkFactory.NatsOptionsFrom(options, "cdc-backfill:" + options.Slot), loggerFactory));
    private readonly SemaphoreSlim _opening = new(1, 1);
    private INatsKVStore? _store;

    public static string BucketName(string slot) => "cdc_backfill_" + slot;

    /// <summary>The bucket, created (or its settings updated) on first use; NATS being away fails the call, which the caller retries.</summary>
    private async ValueTask<INatsKVStore> StoreAsync(CancellationToken cancellationToken)
    {
        if (_store is { } store)
        {
            return store;
        }

        await _opening.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var kv = new NatsKVContext(new NatsJSContext(_connection));
            return _store ??= await kv.CreateOrUpdateStoreAsync(new NatsKVConfig(BucketName(options.Slot))
            {
                Description = "Cdc backfill progress of slot " + options.Slot,
                History = 1,
                NumberOfReplicas = options.Nats.Replicas ?? 1,
                Storage = string.Equals(options.Nats.Storage, "memory", StringComparison.OrdinalIgnoreCase) ? NatsKVStorageType.Memory : NatsKVStorageType.File,
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _opening.Release();
        }
    }

    /// <summary>A bucket key for a table: its name in hex (KV keys allow only a few characters; table names allow any).</summary>
    internal static string KeyFor(string qualifiedName) => "t" + Convert.ToHexString(Encoding.UTF8.GetBytes(qualifiedName));

    public async Task<IReadOnlyList<BackfillJob>> LoadAsync(CancellationToken cancellationToken)
    {
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        var jobs = new List<BackfillJob>();
        var keys = new List<string>();
        try
        {
            await foreach (var key in store.GetKeysAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                keys.Add(key);
            }
        }
        catch (NatsKVKeyNotFoundException)
        {
            // An empty bucket.
        }

        foreach (var key in keys)
        {
            var entry = await store.TryGetEntryAsync<byte[]>(key, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (entry.Success && entry.Value.Value is { Length: > 0 } bytes
                && JsonSerializer.Deserialize(bytes, BackfillJsonContext.Default.BackfillJob) is { } job)
            {
                jobs.Add(job);
            }
        }

        return jobs;
    }

    public async Task SaveAsync(BackfillJob job, CancellationToken cancellationToken)
    {
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        await store.PutAsync(KeyFor(job.QualifiedName), JsonSerializer.SerializeToUtf8Bytes(job, BackfillJsonContext.Default.BackfillJob),
            cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    public async Task RemoveAsync(BackfillJob job, CancellationToken cancellationToken)
    {
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        await store.PurgeAsync(KeyFor(job.QualifiedName), cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
