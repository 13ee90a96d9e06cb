using Bazaar.Server.Conversations;
using Microsoft.Extensions.Options;
using Telegram.Bot;
using Telegram.Bot.Types;

namespace Bazaar.Server.Channels.Telegram;

/// <summary>
/// At start-up, unless the mode is Off: learns the bot's username, registers the commands in each
/// language (setMyCommands) and, in Webhook mode with a PublicUrl, points Telegram at the webhook.
/// Failures are logged and do not stop the server (Telegram may be briefly unreachable).
/// </summary>
public sealed class TelegramStartup(ITelegramBotClient bot, IOptions<TelegramOptions> options, BotPipeline pipeline,
    BotIdentity identity, ILogger<TelegramStartup> log) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.EffectiveMode == TelegramMode.Off) return;
        // Bounded, so an unreachable Telegram delays start-up a little instead of stopping it.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        try
        {
            await ConfigureAsync(timeout.Token);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            log.LogWarning(ex, "Could not configure the Telegram bot at start-up");
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task ConfigureAsync(CancellationToken ct)
    {
        var o = options.Value;
        if (identity.Username is null)
        {
            try { identity.Username = (await bot.GetMe(ct)).Username; }
            catch (Exception ex) when (!ct.IsCancellationRequested) { log.LogWarning(ex, "getMe failed; /cmd@name is accepted for any name"); }
        }
        foreach (var language in Languages.Supported)
        {
            var commands = pipeline.Routes.Commands.Where(c => !c.Hidden)
                .Select(c => new BotCommand(c.Name, c.Description?.In(language) ?? c.Name)).ToList();
            // English is the default list; the others are per language_code.
            await bot.SetMyCommands(commands, languageCode: language == Languages.English ? null : language, cancellationToken: ct);
        }
        if (o.EffectiveMode == TelegramMode.Webhook && !string.IsNullOrWhiteSpace(o.PublicUrl))
        {
            var url = o.PublicUrl.TrimEnd('/') + TelegramWebhook.Path;
            await bot.SetWebhook(url, secretToken: o.WebhookSecret, allowedUpdates: TelegramChannel.AllowedUpdates, cancellationToken: ct);
            log.LogInformation("Telegram webhook set to {Url}", url);
        }
    }
}
