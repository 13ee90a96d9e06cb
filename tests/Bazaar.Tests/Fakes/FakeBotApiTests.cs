using Telegram.Bot;
using Telegram.Bot.Exceptions;

namespace Bazaar.Tests.Fakes;

/// <summary>The fake speaks the wire format Telegram.Bot's real client expects.</summary>
public sealed class FakeBotApiTests
{
    [Fact]
    public async Task Real_client_talks_to_the_fake_and_sees_its_failures()
    {
        await using var api = await FakeBotApi.StartAsync();
        var bot = new TelegramBotClient(new TelegramBotClientOptions("123:abc", api.BaseUrl) { RetryThreshold = 0, RetryCount = 0 });

        var sent = await bot.SendMessage(42, "hello");
        Assert.Equal("hello", sent.Text);
        Assert.Equal(42, sent.Chat.Id);
        var call = Assert.Single(api.CallsOf("sendMessage"));
        Assert.Equal("hello", call.Str("text"));

        api.FailNext("sendMessage", 429, "Too Many Requests: retry after 7", retryAfter: 7);
        var e = await Assert.ThrowsAsync<ApiRequestException>(() => bot.SendMessage(42, "again"));
        Assert.Equal(429, e.ErrorCode);
        Assert.Equal(7, e.Parameters?.RetryAfter);

        api.FailNext("sendMessage", 403, "Forbidden: bot was blocked by the user");
        var blocked = await Assert.ThrowsAsync<ApiRequestException>(() => bot.SendMessage(42, "again"));
        Assert.Equal(403, blocked.ErrorCode);
    }
}
