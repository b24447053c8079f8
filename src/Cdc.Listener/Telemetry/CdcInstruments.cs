using Microsoft.Extensions.DependencyInjection;

namespace Cdc.Listener.Telemetry;

/// <summary>
/// Registers every area's owner of live numbers and the instruments that read it; the endpoint resolves the instruments
/// once so their meters exist before the first scrape.
/// </summary>
internal static class CdcInstruments
{
    public static IServiceCollection AddCdcInstruments(this IServiceCollection services, ListenerTelemetry telemetry)
    {
        services.AddSingleton(telemetry.Session);
        services.AddSingleton(telemetry.Source);
        services.AddSingleton(telemetry.Changes);
        services.AddSingleton(telemetry.Delivery);
        services.AddSingleton(telemetry.Sink);
        services.AddSingleton(telemetry.Outbox);
        services.AddSingleton(telemetry.Backfills);
        services.AddMetrics();
        services.AddSingleton<ListenerInstruments>();
        services.AddSingleton<SourceInstruments>();
        services.AddSingleton<PipelineInstruments>();
        services.AddSingleton<DeliveryInstruments>();
        services.AddSingleton<SinkInstruments>();
        services.AddSingleton<OutboxInstruments>();
        services.AddSingleton<BackfillInstruments>();
        return services;
    }

    public static void CreateCdcInstruments(this IServiceProvider services)
    {
        _ = services.GetRequiredService<ListenerInstruments>();
        _ = services.GetRequiredService<SourceInstruments>();
        _ = services.GetRequiredService<PipelineInstruments>();
        _ = services.GetRequiredService<DeliveryInstruments>();
        _ = services.GetRequiredService<SinkInstruments>();
        _ = services.GetRequiredService<OutboxInstruments>();
        _ = services.GetRequiredService<BackfillInstruments>();
    }
}
