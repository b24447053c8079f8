using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Cdc.Listener.Outbox;

/// <summary>
/// Writes back to outbox tables on its own (non-replication) connection, off the delivery path: deletes relayed rows
/// in batches (<c>Cdc:Outbox:DeleteRelayed</c>) and records refusals in egress rows (<c>write_retries + 1</c>,
/// <c>last_write_error</c>). A failed statement is retried with the same rows after a pause.
/// </summary>
internal sealed class OutboxRowStore : IAsyncDisposable
{
    private const int DeleteQueueCapacity = 100_000;
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    private readonly Func<string> _connectionString;
    private readonly int _batchRows;
    private readonly ILogger _logger;
    private readonly Channel<OutboxRow> _deletes = Channel.CreateBounded<OutboxRow>(new BoundedChannelOptions(DeleteQueueCapacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.DropWrite,
    });

    // Refusals are rare and each must be recorded: not bounded by dropping.
    private readonly ConcurrentQueue<(OutboxRow Row, string Error)> _failures = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _deleted;
    private long _recorded;
    private long _dropped;

    public OutboxRowStore(Func<string> connectionString, int batchRows, ILogger logger)
    {
        _connectionString = connectionString;
        _batchRows = batchRows;
        _logger = logger;
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    public long RowsDeleted => Interlocked.Read(ref _deleted);

    public long RowsRecorded => Interlocked.Read(ref _recorded);

    /// <summary>Queues a relayed row for deletion; when the queue is full the row is left in its table (and counted).</summary>
    public void Delete(OutboxRow row)
    {
        if (!_deletes.Writer.TryWrite(row) && Interlocked.Increment(ref _dropped) % 10_000 == 1)
        {
            OutboxLog.DeletesDropped(_logger, Interlocked.Read(ref _dropped));
        }
    }

    /// <summary>Queues an egress row's refusal to be recorded in the row.</summary>
    public void RecordFailure(OutboxRow row, string error) => _failures.Enqueue((row, error));

    private async Task RunAsync(CancellationToken stop)
    {
        var deletes = new List<OutboxRow>(_batchRows);
        try
        {
            while (true)
            {
                await Task.Delay(Interval, stop).ConfigureAwait(false);
                await FlushAsync(deletes, retry: true, stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopping: one last attempt for what is queued, without retries, so a stop never waits on an unreachable server.
            await FlushAsync(deletes, retry: false, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task FlushAsync(List<OutboxRow> deletes, bool retry, CancellationToken cancellationToken)
    {
        while (!_failures.IsEmpty || deletes.Count > 0 || _deletes.Reader.Count > 0)
        {
            while (deletes.Count < _batchRows && _deletes.Reader.TryRead(out var row))
            {
                deletes.Add(row);
            }

            try
            {
                await using var connection = new NpgsqlConnection(_connectionString());
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                while (_failures.TryPeek(out var failure))
                {
                    await RecordAsync(connection, failure.Row, failure.Error, cancellationToken).ConfigureAwait(false);
                    _failures.TryDequeue(out _);
                    Interlocked.Increment(ref _recorded);
                }

                foreach (var group in deletes.GroupBy(r => r.Table))
                {
                    await DeleteAsync(connection, group.Key, group.Select(r => r.Key).ToArray(), cancellationToken).ConfigureAwait(false);
                }

                Interlocked.Add(ref _deleted, deletes.Count);
                deletes.Clear();
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                OutboxLog.StoreFailed(_logger, deletes.FirstOrDefault()?.Table.Name ?? "?", RetryDelay.TotalSeconds, e.Message);
                if (!retry)
                {
                    return;
                }

                await Task.Delay(RetryDelay, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    internal static async Task<int> DeleteAsync(NpgsqlConnection connection, OutboxTable table, string[] keys, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"DELETE FROM {Quote(table)} WHERE {KeyEquals(table, many: true)}", connection);
        command.Parameters.AddWithValue("keys", keys);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task RecordAsync(NpgsqlConnection connection, OutboxRow row, string error, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"UPDATE {Quote(row.Table)} SET write_retries = coalesce(write_retries, 0) + 1, last_write_error = @error WHERE {KeyEquals(row.Table, many: false)}",
            connection);
        command.Parameters.AddWithValue("key", row.Key);
        command.Parameters.AddWithValue("error", error);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The key compared with text parameters cast to the column's type, so its index is used; a type name that is not
    /// a plain identifier (a type Cdc knows only by oid) is compared as text instead.
    /// </summary>
    private static string KeyEquals(OutboxTable table, bool many)
    {
        var key = QuoteName(table.KeyColumn.Name);
        return (many, HasPlainKeyType(table)) switch
        {
            (true, true) => $"{key} = ANY(@keys::{table.KeyColumn.TypeName}[])",
            (true, false) => $"{key}::text = ANY(@keys)",
            (false, true) => $"{key} = @key::{table.KeyColumn.TypeName}",
            (false, false) => $"{key}::text = @key",
        };
    }

    /// <summary>The key column compared with a text expression (cast to the key's type when it has a plain name).</summary>
    internal static string KeyEquals(OutboxTable table, string textExpression)
        => HasPlainKeyType(table)
            ? $"{QuoteName(table.KeyColumn.Name)} = {textExpression}::{table.KeyColumn.TypeName}"
            : $"{QuoteName(table.KeyColumn.Name)}::text = {textExpression}";

    private static bool HasPlainKeyType(OutboxTable table)
        => table.KeyColumn.TypeName.Length > 0 && table.KeyColumn.TypeName.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_');

    internal static string Quote(OutboxTable table) => QuoteName(table.Relation.Namespace) + "." + QuoteName(table.Relation.Name);

    internal static string QuoteName(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
