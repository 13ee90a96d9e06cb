using System.Diagnostics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Bazaar.Server.Operations;

public sealed class OpenTelemetryOptions
{
    /// <summary>Off by default: no tracer is built and the pipeline's spans cost nothing.</summary>
    public bool Enabled { get; set; }
    /// <summary>The OTLP collector (e.g. http://127.0.0.1:4317); unset, the exporter's own defaults and OTEL_EXPORTER_OTLP_* apply.</summary>
    public string? OtlpEndpoint { get; set; }
    /// <summary>grpc (default) or http/protobuf.</summary>
    public string? OtlpProtocol { get; set; }
    /// <summary>service.name on every span; set one per instance or deployment if several report to one collector.</summary>
    public string ServiceName { get; set; } = "bazaar";
}

/// <summary>
/// OpenTelemetry tracing, switched on by OpenTelemetry:Enabled: a span per HTTP request (ASP.NET Core) and per update
/// the pipeline handles (<see cref="Source"/>), exported over OTLP.
/// </summary>
public static class Tracing
{
    public const string SourceName = "Bazaar";

    /// <summary>The server's own spans; StartActivity returns null (nothing recorded) while no tracer listens.</summary>
    public static readonly ActivitySource Source = new(SourceName);

    public static IServiceCollection AddTracing(this IServiceCollection services, IConfiguration config)
    {
        var o = config.GetSection("OpenTelemetry").Get<OpenTelemetryOptions>() ?? new OpenTelemetryOptions();
        if (!o.Enabled) return services;
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(o.ServiceName))
            .WithTracing(t => t
                .AddSource(SourceName)
                .AddAspNetCoreInstrumentation(a => a.Filter = http => !http.Request.Path.StartsWithSegments("/metrics") && !http.Request.Path.StartsWithSegments("/health"))
                .AddOtlpExporter(e =>
                {
                    if (!string.IsNullOrWhiteSpace(o.OtlpEndpoint)) e.Endpoint = new Uri(o.OtlpEndpoint);
                    if (string.Equals(o.OtlpProtocol, "http/protobuf", StringComparison.OrdinalIgnoreCase))
                        e.Protocol = OpenTelemetry.Exporter.OtlpExportProtocol.HttpProtobuf;
                }));
        return services;
    }
}
