using Cdc.Listener.Formats;
using Cdc.Sink;
using Cdc.V1;

namespace Cdc.Listener.Pipeline;

/// <summary>
/// The newest table shape the stream holds per schema subject, read once on start and kept up to date as Cdc publishes:
/// a RelationEvent is published only when the shape differs, so restarts and reconnects add nothing to the stream.
/// Used by the decoding thread only.
/// </summary>
internal sealed class PublishedSchemas
{
    private readonly Dictionary<string, RelationEvent> _bySubject = new(StringComparer.Ordinal);

    public int Count => _bySubject.Count;

    /// <summary>Reads the newest schema event of every table from the stream; payloads that do not parse are left out (published again).</summary>
    public static async Task<PublishedSchemas> ReadAsync(IMessageSink sink, string subjectPrefix, CancellationToken cancellationToken)
    {
        var schemas = new PublishedSchemas();
        if (sink is not IStreamHistory history)
        {
            return schemas;
        }

        try
        {
            foreach (var message in await history.LastPerSubjectAsync(subjectPrefix + ".*.*.*" + RelationSubjects.SchemaSuffix, cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    schemas._bySubject[message.Subject] = ShapeOf(ChangeEventReader.Read(RelationEvent.Parser, message.ContentType, message.Payload.Span));
                }
                catch (FormatException)
                {
                    // Not ours, or a format Cdc no longer writes: the shape is published again.
                }
            }
        }
        catch (Exception e) when (StreamReadErrors.Handles(e))
        {
            throw StreamReadErrors.From(e, "the stream's schema events");
        }

        return schemas;
    }

    /// <summary>
    /// Whether <paramref name="relation"/> (its end LSN aside) is what the stream holds last on <paramref name="subject"/>;
    /// when it is not, it is remembered as published.
    /// </summary>
    public bool IsPublished(string subject, RelationEvent relation)
    {
        var shape = ShapeOf(relation);
        if (_bySubject.TryGetValue(subject, out var known) && known.Equals(shape))
        {
            return true;
        }

        _bySubject[subject] = shape;
        return false;
    }

    private static RelationEvent ShapeOf(RelationEvent relation)
    {
        if (relation.EndLsn == 0)
        {
            return relation;
        }

        var shape = relation.Clone();
        shape.EndLsn = 0;
        return shape;
    }
}
