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
        // The token is part of every Bot API URL, so the default request logging (which prints the URL) is replaced.
        services.AddHttpClient("telegram", c => c.Timeout = TimeSpan.FromSeconds(100))
            .RemoveAllLoggers()
            .AddLogger(sp => new BotApiRequestLogger(sp.GetRequiredService<ILogger<BotApiRequestLogger>>()));
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

/// <summary>Logs Bot API calls as the default HttpClient logger would, with the token cut out of the URL ("/bot***/sendMessage").</summary>
internal sealed class BotApiRequestLogger(ILogger<BotApiRequestLogger> log) : Microsoft.Extensions.Http.Logging.IHttpClientLogger
{
    public object? LogRequestStart(HttpRequestMessage request)
    {
        if (log.IsEnabled(LogLevel.Debug)) log.LogDebug("Bot API {Method} {Uri}", request.Method, Redact(request.RequestUri));
        return null;
    }

    public void LogRequestStop(object? context, HttpRequestMessage request, HttpResponseMessage response, TimeSpan elapsed)
    {
        if (log.IsEnabled(LogLevel.Debug))
            log.LogDebug("Bot API {Method} {Uri} answered {Status} in {Ms} ms", request.Method, Redact(request.RequestUri), (int)response.StatusCode, (int)elapsed.TotalMilliseconds);
    }

    public void LogRequestFailed(object? context, HttpRequestMessage request, HttpResponseMessage? response, Exception exception, TimeSpan elapsed) =>
        log.LogDebug("Bot API {Method} {Uri} failed after {Ms} ms: {Error}", request.Method, Redact(request.RequestUri), (int)elapsed.TotalMilliseconds, exception.Message);

    /// <summary>https://api.telegram.org/bot123:ABC/getMe and /file/bot123:ABC/... with the token replaced.</summary>
    internal static string Redact(Uri? uri)
    {
        if (uri is null) return "";
        var s = uri.GetLeftPart(UriPartial.Path);
        return System.Text.RegularExpressions.Regex.Replace(s, @"/bot[^/]+", "/bot***");
    }
}
