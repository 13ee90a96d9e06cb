using System.Text.Json;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Telegram.Bot;

namespace Bazaar.Server.Channels.Telegram;

/// <summary>
/// Polling mode: getUpdates in a loop, each update into the same inbox as the webhook. The offset is
/// the highest stored update_id + 1, so it is persisted by the inbox itself and an update is confirmed
/// to Telegram only after it is committed.
/// Not a job type: getUpdates is one continuous long poll per bot token (Telegram refuses two at once),
/// and claiming a job between polls would only add latency to every incoming message.
/// </summary>
public sealed class TelegramPolling(ITelegramBotClient bot, IOptions<TelegramOptions> options, Inbox inbox,
    IServiceScopeFactory scopes, TimeProvider clock, ILogger<TelegramPolling> log) : BackgroundService
{
    private bool _webhookDeleted;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.EffectiveMode != TelegramMode.Polling || !options.Value.PollingLoop) return;
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(options.Value.PollingTimeoutSeconds, stoppingToken);
                failures = 0;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception ex)
            {
                failures++;
                var delay = TimeSpan.FromSeconds(Math.Min(60, 1 << Math.Min(failures, 6)));
                log.LogWarning(ex, "getUpdates failed ({Failures} in a row); retrying in {Delay}", failures, delay);
                try { await Task.Delay(delay, clock, stoppingToken); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    /// <summary>One getUpdates round; returns how many updates were new.</summary>
    public async Task<int> RunOnceAsync(int timeoutSeconds, CancellationToken ct)
    {
        var o = options.Value;
        if (!_webhookDeleted)
        {
            await bot.DeleteWebhook(cancellationToken: ct);
            _webhookDeleted = true;
        }
        var offset = await NextOffsetAsync(o.BotId, ct);
        var updates = await bot.GetUpdates(offset, limit: 100, timeout: timeoutSeconds, allowedUpdates: TelegramChannel.AllowedUpdates, cancellationToken: ct);
        var fresh = 0;
        foreach (var u in updates)
        {
            var payload = JsonSerializer.Serialize(u, JsonBotAPI.Options);
            if (await inbox.AcceptAsync(InboundItem.Of(ChatChannel.Telegram, o.BotId, u, payload))) fresh++;
        }
        return fresh;
    }

    private async Task<int?> NextOffsetAsync(string botId, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
        var max = await db.InboundUpdates.Where(u => u.Channel == ChatChannel.Telegram && u.BotId == botId)
            .MaxAsync(u => (long?)u.UpdateId, ct);
        return max is { } m ? (int)(m + 1) : null;
    }
}
