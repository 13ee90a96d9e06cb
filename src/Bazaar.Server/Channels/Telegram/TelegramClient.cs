using Microsoft.Extensions.Options;
using Telegram.Bot;

namespace Bazaar.Server.Channels.Telegram;

public static class TelegramClient
{
    /// <summary>
    /// Registers Telegram.Bot's client against Telegram:ApiBaseUrl. Without a token it still exists
    /// (with a placeholder token) so that services resolve; nothing calls it while the mode is Off.
    /// </summary>
    public static IServiceCollection AddTelegramClient(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<TelegramOptions>(config.GetSection("Telegram"));
        services.AddHttpClient("telegram", c => c.Timeout = TimeSpan.FromSeconds(100));
        services.AddSingleton<ITelegramBotClient>(sp =>
        {
            var o = sp.GetRequiredService<IOptions<TelegramOptions>>().Value;
            var token = string.IsNullOrWhiteSpace(o.BotToken) ? "0:no-token-configured" : o.BotToken;
            var http = sp.GetRequiredService<IHttpClientFactory>().CreateClient("telegram");
            // The outbox sender honours 429 retry_after itself (without holding a connection), so the client must not.
            return new TelegramBotClient(new TelegramBotClientOptions(token, o.ApiBaseUrl.TrimEnd('/')) { RetryThreshold = 0, RetryCount = 0 }, http);
        });
        return services;
    }
}
