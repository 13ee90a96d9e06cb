using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace Bazaar.Server.Hosting;

/// <summary>
/// Request body limits. An endpoint may declare its own (<see cref="WithBodyLimit{TBuilder}"/>); every other request
/// gets <c>Http:MaxRequestBodyBytes</c> (1 MB). A body over the limit is answered 413 <c>payload_too_large</c> before
/// it is read, and an error never echoes the body.
/// </summary>
public static class RequestLimits
{
    public const long DefaultBytes = 1024 * 1024;

    public static TBuilder WithBodyLimit<TBuilder>(this TBuilder builder, long bytes) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequestSizeLimitAttribute(bytes));

    public static WebApplication UseRequestLimits(this WebApplication app)
    {
        var fallback = app.Configuration.GetValue<long?>("Http:MaxRequestBodyBytes") ?? DefaultBytes;
        app.Use((http, next) =>
        {
            var limit = http.GetEndpoint()?.Metadata.GetMetadata<IRequestSizeLimitMetadata>()?.MaxRequestBodySize ?? fallback;
            if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature) feature.MaxRequestBodySize = limit;
            // Kestrel checks a declared Content-Length only when the body is read; say so before any handler runs.
            if (http.Request.ContentLength > limit) throw new BadHttpRequestException($"The request body is larger than {limit} bytes.", 413);
            return next(http);
        });
        return app;
    }
}
