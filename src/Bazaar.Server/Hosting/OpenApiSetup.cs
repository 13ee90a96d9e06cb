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
                doc.Components.SecuritySchemes["MiniApp"] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.ApiKey,
                    In = ParameterLocation.Header,
                    Name = "Authorization",
                    Description = "The Telegram Mini App's signed initData: `Authorization: tma <initData>` (checked as Telegram specifies).",
                };
                doc.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
                doc.Components.Schemas["ProblemDetails"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Description = "RFC 7807 problem. `code` is stable and names the failure; `detail` says what to do.",
                    Properties = new Dictionary<string, IOpenApiSchema>
                    {
                        ["type"] = new OpenApiSchema { Type = JsonSchemaType.String },
                        ["title"] = new OpenApiSchema { Type = JsonSchemaType.String },
                        ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer },
                        ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String },
                        ["code"] = new OpenApiSchema { Type = JsonSchemaType.String },
                        ["errors"] = new OpenApiSchema
                        {
                            Type = JsonSchemaType.Object, Description = "Validation errors by field (validation_failed, invalid_field_type).",
                            AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
                        },
                    },
                    Required = new HashSet<string> { "title", "status", "code" },
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
                var miniApp = ctx.Description.RelativePath is { } p && p.StartsWith("api/v1/app/", StringComparison.Ordinal) && !p.StartsWith("api/v1/app/sandbox", StringComparison.Ordinal);
                if (miniApp)
                {
                    op.Security ??= [];
                    op.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("MiniApp", ctx.Document)] = [] });
                }
                DeclareProblems(op, ctx, needsKey, miniApp);
                return Task.CompletedTask;
            });
        });
        return services;
    }

    /// <summary>
    /// The ProblemDetails answers an operation can give: bad input, a missing key, an unknown id, a body too large, and,
    /// for handlers that return expected failures, a conflict or a refusal (each with its own code).
    /// </summary>
    private static void DeclareProblems(OpenApiOperation op, OpenApiOperationTransformerContext ctx, bool needsKey, bool miniApp)
    {
        var d = ctx.Description;
        if (d.RelativePath is not { } path || !path.StartsWith("api/", StringComparison.Ordinal)) return;
        var method = d.HttpMethod ?? "GET";
        var hasBody = d.ParameterDescriptions.Any(p => p.Source == Microsoft.AspNetCore.Mvc.ModelBinding.BindingSource.Body ||
                                                      p.Source == Microsoft.AspNetCore.Mvc.ModelBinding.BindingSource.Form) ||
                      d.SupportedRequestFormats.Count > 0;
        var handler = d.ActionDescriptor.EndpointMetadata.OfType<System.Reflection.MethodInfo>().FirstOrDefault();
        var returnsProblems = handler is not null && Mentions(handler.ReturnType, typeof(Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult));
        var statuses = new List<(string Status, string Description)>();
        if (hasBody || d.ParameterDescriptions.Count > 0) statuses.Add(("400", "Invalid input: malformed_json, invalid_field_type, validation_failed, or the operation's own code"));
        if (needsKey)
        {
            statuses.Add(("401", "unauthorized: no API key, or a wrong one"));
            statuses.Add(("403", "forbidden: this key may not do that"));
        }
        if (miniApp) statuses.Add(("401", "init_data_missing, init_data_tampered or init_data_expired: the Mini App's initData is absent, not signed by this bot, or too old"));
        if (path.Contains('{')) statuses.Add(("404", "not_found, or the operation's own code for the missing thing"));
        if (returnsProblems && method is not "GET")
        {
            statuses.Add(("409", "The current state does not allow it (the code says which)"));
            statuses.Add(("422", "It cannot be carried out as asked (the code says why)"));
        }
        if (hasBody) statuses.Add(("413", "payload_too_large"));
        op.Responses ??= new OpenApiResponses();
        foreach (var (status, description) in statuses)
        {
            if (op.Responses.TryGetValue(status, out var existing) && existing.Content?.Count > 0) continue;
            op.Responses[status] = new OpenApiResponse
            {
                Description = description,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/problem+json"] = new OpenApiMediaType { Schema = new OpenApiSchemaReference("ProblemDetails", ctx.Document) },
                },
            };
        }
    }

    private static bool Mentions(Type t, Type wanted) =>
        t == wanted || (t.IsGenericType && t.GetGenericArguments().Any(a => Mentions(a, wanted)));

    public static WebApplication MapBazaarOpenApi(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapScalarApiReference("/api-docs", o => o
            .WithTitle("Bazaar API")
            .WithOpenApiRoutePattern("/openapi/{documentName}.json")
            // Fully local: the bundle is served from this server, with no web fonts, AI agent, MCP, telemetry or
            // "Deploy" developer toolbar, none of which an operator's private API should call out to.
            .DisableDefaultFonts()
            .DisableAgent()
            .DisableMcp()
            .DisableTelemetry()
            .HideDeveloperTools());
        return app;
    }
}
