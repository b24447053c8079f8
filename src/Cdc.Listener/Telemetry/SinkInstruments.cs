using System.Diagnostics.Metrics;

namespace Cdc.Listener.Telemetry;

/// <summary>Instruments of writing to NATS (meter <see cref="CdcMeters.Sink"/>), observed from <see cref="SinkStatus"/> at collection.</summary>
internal sealed class SinkInstruments
{
    public SinkInstruments(IMeterFactory meters, SinkStatus sink)
    {
        var meter = meters.Create(CdcMeters.Sink);
        meter.CreateObservableGauge(
            "cdc_pending_acks",
            () => sink.PendingAcks is { } pending ? [new Measurement<int>(pending)] : Array.Empty<Measurement<int>>(),
            description: "Messages published to JetStream and awaiting a PubAck.");
        meter.CreateObservableGauge(
            "cdc_sink_last_sequence",
            () => (long)sink.LastStreamSequence,
            description: "JetStream stream sequence of the newest acknowledged message.");
        meter.CreateObservableCounter(
            "cdc_duplicate_acks_total",
            () => sink.DuplicateAcks,
            description: "Acknowledgements of an already acknowledged message.");
        meter.CreateObservableCounter(
            "cdc_jetstream_duplicates_total",
            () => sink.JetStreamDuplicates,
            description: "Publishes JetStream answered as duplicates: a message with that Nats-Msg-Id was stored already within the duplicate window, so nothing was stored twice.");
    }
}
