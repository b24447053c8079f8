using Cdc.Decoding;
using Cdc.Listener.Configuration;
using Cdc.Listener.Telemetry;

namespace Cdc.Listener.Pipeline;

/// <summary>
/// Subjects of change events: <c>&lt;prefix&gt;.</c> then <c>Cdc:Nats:SubjectTemplate</c> (by default
/// <c>&lt;database&gt;.&lt;schema&gt;.&lt;table&gt;[.&lt;op&gt;]</c>), with each name made a valid NATS token ('.', '*', '>' and
/// whitespace become '_'). Schema events and snapshot markers stay under <c>&lt;prefix&gt;.&lt;database&gt;.&lt;schema&gt;.&lt;table&gt;</c>,
/// where consumers find them whatever the template. Cached per relation.
/// </summary>
public sealed class SubjectMapper
{
    /// <summary>Message prefixes are chosen by the application: past this many, subjects are built per message.</summary>
    internal const int MaxCachedMessagePrefixes = 1024;

    private readonly Dictionary<string, MessageSubjects> _messages = new(StringComparer.Ordinal);
    private readonly string _prefix;
    private readonly string _database;
    private readonly string _databaseSubject;
    private readonly SubjectTemplate _template;
    private readonly Dictionary<(uint Id, string Schema, string Table), RelationSubjects> _cache = [];

    public SubjectMapper(string prefix, string database, bool includeOperation)
        : this(prefix, database, SubjectTemplate.From(null, includeOperation))
    {
    }

    public SubjectMapper(string prefix, string database, SubjectTemplate template)
    {
        _prefix = prefix;
        _database = database;
        _databaseSubject = prefix + "." + Token(database);
        _template = template;
    }

    public RelationSubjects For(RelationInfo relation)
    {
        var key = (relation.Id, relation.Namespace, relation.Name);
        if (!_cache.TryGetValue(key, out var subjects))
        {
            var tableSubject = _databaseSubject + "." + Token(relation.Namespace) + "." + Token(relation.Name);
            subjects = new RelationSubjects(
                relation.Namespace + "." + relation.Name,
                tableSubject,
                operation => _prefix + "." + _template.Render(_database, relation.Namespace, relation.Name, _template.HasOperation ? operation : null));
            _cache[key] = subjects;
        }

        return subjects;
    }

    /// <summary>
    /// Subject of logical decoding messages (the outbox): <c>&lt;prefix&gt;.&lt;database&gt;._message.&lt;prefix of the message&gt;</c>,
    /// with the status table name; cached per message prefix (up to <see cref="MaxCachedMessagePrefixes"/>).
    /// </summary>
    public MessageSubjects ForMessage(string messagePrefix)
    {
        if (_messages.TryGetValue(messagePrefix, out var subjects))
        {
            return subjects;
        }

        subjects = new MessageSubjects("_message." + messagePrefix, _databaseSubject + "._message." + Token(messagePrefix));
        if (_messages.Count < MaxCachedMessagePrefixes)
        {
            _messages.Add(messagePrefix, subjects);
        }

        return subjects;
    }

    /// <summary>
    /// Subject of an outbox message: <c>&lt;prefix&gt;.&lt;database&gt;._outbox.&lt;subject&gt;</c>, the row's subject kept as a
    /// hierarchy (its dots) with each part made a valid token (an empty part becomes '_').
    /// </summary>
    public string ForOutbox(string subject)
    {
        var tokens = subject.Split('.');
        for (var i = 0; i < tokens.Length; i++)
        {
            tokens[i] = Token(tokens[i]);
        }

        return _databaseSubject + "._outbox." + string.Join('.', tokens);
    }

    /// <summary>Every outbox message's subject: <c>&lt;prefix&gt;.&lt;database&gt;._outbox.&gt;</c>.</summary>
    public string OutboxSubjects => _databaseSubject + "._outbox.>";

    /// <summary>Makes a name usable as one subject token.</summary>
    public static string Token(string name) => SubjectTemplate.Token(name);
}

/// <summary>The subjects of one table: <paramref name="tableSubject"/> for its schema events and snapshot marker, <paramref name="rowSubject"/> per operation.</summary>
public sealed class RelationSubjects(string table, string tableSubject, Func<string, string> rowSubject)
{
    /// <summary>schema.table, the ordering key of the batch writer.</summary>
    public string Table { get; } = table;

    public string Insert { get; } = rowSubject("insert");

    public string Update { get; } = rowSubject("update");

    public string Delete { get; } = rowSubject("delete");

    public string Truncate { get; } = rowSubject("truncate");

    /// <summary>Rows read by the initial snapshot (OPERATION_READ).</summary>
    public string Read { get; } = rowSubject("read");

    /// <summary>A table's snapshot completion marker (SnapshotEvent), after its last read row.</summary>
    public string Snapshot { get; } = tableSubject + "._snapshot";

    /// <summary>The last token of <see cref="Schema"/> subjects.</summary>
    public const string SchemaSuffix = "._schema";

    /// <summary>Relation (schema) events, published before the rows that use the new shape.</summary>
    public string Schema { get; } = tableSubject + SchemaSuffix;

    private TableCounter? _insert;
    private TableCounter? _update;
    private TableCounter? _delete;
    private TableCounter? _other;
    private string? _otherOperation;

    /// <summary>The status counter of this table and operation, looked up once.</summary>
    public TableCounter Counter(ChangeCounters changes, string operation) => operation switch
    {
        "insert" => _insert ??= changes.CounterFor(Table, operation),
        "update" => _update ??= changes.CounterFor(Table, operation),
        "delete" => _delete ??= changes.CounterFor(Table, operation),
        _ => _other is not null && operation == _otherOperation ? _other : CounterSlow(changes, operation),
    };

    private TableCounter CounterSlow(ChangeCounters changes, string operation)
    {
        _otherOperation = operation;
        return _other = changes.CounterFor(Table, operation);
    }

    public string For(ChangeKind kind) => kind switch
    {
        ChangeKind.Insert => Insert,
        ChangeKind.Update => Update,
        ChangeKind.Delete => Delete,
        ChangeKind.Truncate => Truncate,
        ChangeKind.Read => Read,
        _ => Insert,
    };
}

/// <summary>The subject and status entry of one logical message prefix.</summary>
public sealed class MessageSubjects(string table, string subject)
{
    private TableCounter? _counter;

    /// <summary><c>_message.&lt;prefix&gt;</c>: the ordering key and the status table name.</summary>
    public string Table { get; } = table;

    public string Subject { get; } = subject;

    /// <summary>The status counter of these messages, looked up once.</summary>
    public TableCounter Counter(ChangeCounters changes) => _counter ??= changes.MessageCounterFor(Table);
}
