using Bazaar.Server.Data;

namespace Bazaar.Server.Channels.WhatsApp;

public static class WhatsAppModule
{
    public static IServiceCollection AddWhatsAppChannel(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<WhatsAppOptions>(config.GetSection("WhatsApp"));
        services.AddHttpClient("whatsapp", c => c.Timeout = TimeSpan.FromSeconds(20));
        services.AddSingleton<IOutboxTransport, WhatsAppDelivery>();
        services.AddSingleton<IChatFileSource, WhatsAppFileSource>();
        return services;
    }

    public static IEndpointRouteBuilder MapWhatsAppApi(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup(WhatsAppWebhook.Path).AllowAnonymous().WithTags("WhatsApp");
        g.MapGet("/", WhatsAppWebhook.Verify).WithName("WhatsAppVerify")
            .WithSummary("Meta's webhook verification: hub.mode=subscribe and hub.verify_token = WhatsApp:VerifyToken answer hub.challenge");
        g.MapPost("/", WhatsAppWebhook.Receive).WithName("WhatsAppWebhook")
            .WithSummary("Cloud API webhook (messages and statuses), signed with X-Hub-Signature-256")
            .Accepts<System.Text.Json.JsonElement>("application/json");
        return app;
    }
}
