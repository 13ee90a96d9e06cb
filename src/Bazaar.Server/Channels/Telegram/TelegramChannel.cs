using Bazaar.Server.Conversations;

namespace Bazaar.Server.Channels.Telegram;

public static class TelegramChannel
{
    /// <summary>The update kinds the bot asks Telegram for (setWebhook and getUpdates).</summary>
    public static readonly global::Telegram.Bot.Types.Enums.UpdateType[] AllowedUpdates =
    [
        global::Telegram.Bot.Types.Enums.UpdateType.Message,
        global::Telegram.Bot.Types.Enums.UpdateType.EditedMessage,
        global::Telegram.Bot.Types.Enums.UpdateType.CallbackQuery,
        global::Telegram.Bot.Types.Enums.UpdateType.PreCheckoutQuery,
        global::Telegram.Bot.Types.Enums.UpdateType.MyChatMember,
    ];

    public static IServiceCollection AddTelegramChannel(this IServiceCollection services, IConfiguration config)
    {
        services.AddTelegramClient(config);
        services.AddSingleton<TelegramPolling>();
        services.AddHostedService<TelegramStartup>();
        services.AddHostedService(sp => sp.GetRequiredService<TelegramPolling>());
        return services;
    }

    public static IEndpointRouteBuilder MapTelegramApi(this IEndpointRouteBuilder app)
    {
        app.MapPost(TelegramWebhook.Path, TelegramWebhook.Receive)
            .WithName("TelegramWebhook").WithTags("Telegram")
            .WithSummary("Telegram's webhook: checks the secret token and stores the update durably before answering 200")
            .Accepts<System.Text.Json.JsonElement>("application/json")
            .DisableAntiforgery()
            // The hot path: skip the middleware after routing (auth, status pages); the handler answers every case itself.
            .ShortCircuit();
        return app;
    }
}
