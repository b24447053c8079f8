using System.Text.Json.Serialization;

namespace Cdc.Listener.Backfill;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BackfillJob))]
internal sealed partial class BackfillJsonContext : JsonSerializerContext;
