using System.Text;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Cdc.Listener.Http;

/// <summary>
/// Tags that put a health check on <c>/healthz</c> (liveness: restart the process when it fails) or <c>/readyz</c>
/// (readiness: the sidecar delivers changes now). A new check names one of them:
/// <c>services.AddHealthChecks().AddCheck&lt;MyCheck&gt;("name", tags: [HealthTags.Ready])</c>.
/// </summary>
internal static class HealthTags
{
    public const string Live = "live";

    public const string Ready = "ready";

    /// <summary>200 when every check with <paramref name="tag"/> passes, else 503; the body is the failing checks' descriptions, one a line.</summary>
    public static HealthCheckOptions Options(string tag) => new()
    {
        Predicate = registration => registration.Tags.Contains(tag),
        ResultStatusCodes =
        {
            [HealthStatus.Healthy] = StatusCodes.Status200OK,
            [HealthStatus.Degraded] = StatusCodes.Status200OK,
            [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
        },
        ResponseWriter = WriteAsync,
    };

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        var lines = new StringBuilder();
        foreach (var entry in report.Entries.Values.Where(e => report.Status == HealthStatus.Healthy || e.Status != HealthStatus.Healthy))
        {
            lines.Append(entry.Description ?? entry.Status.ToString()).Append('\n');
        }

        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(lines.ToString(), context.RequestAborted);
    }
}
