using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Bazaar.Server.Hosting;

public static class OpenApiSetup
{
    public static IServiceCollection AddBazaarOpenApi(this IServiceCollection services)
    {
        services.AddOpenApi(o =>
        {
            o.AddDocumentTransformer((doc, _, _) =>
            {
                doc.Info = new OpenApiInfo
                {
                    Title = "Bazaar API",
                    Version = "v1",
                    Description = "Chat-commerce engine: channels, shop, wallet, payments and operators' tools. " +
                                  "Admin endpoints take `Authorization: Bearer <api-key>`. Errors are RFC 7807 ProblemDetails with a stable `code`.",
                };
                doc.Components ??= new OpenApiComponents();
                doc.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                doc.Components.SecuritySchemes["ApiKey"] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    Description = "An operator's API key: `Authorization: Bearer <api-key>`.",
                };
                return Task.CompletedTask;
            });
            o.AddOperationTransformer((op, ctx, _) =>
            {
                var needsKey = ctx.Description.ActionDescriptor.EndpointMetadata
                    .OfType<Microsoft.AspNetCore.Authorization.IAuthorizeData>().Any();
                if (needsKey)
                {
                    op.Security ??= [];
                    op.Security.Add(new OpenApiSecurityRequirement
                    {
                        [new OpenApiSecuritySchemeReference("ApiKey", ctx.Document)] = [],
                    });
                }
                return Task.CompletedTask;
            });
        });
        return services;
    }

    public static WebApplication MapBazaarOpenApi(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapScalarApiReference("/api-docs", o => o
            .WithTitle("Bazaar API")
            .WithOpenApiRoutePattern("/openapi/{documentName}.json"));
        return app;
    }
}
