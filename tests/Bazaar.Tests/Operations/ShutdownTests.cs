using Bazaar.Server.Channels.Telegram;
using Bazaar.Server.Conversations;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Bazaar.Tests.Operations;

public sealed class ShutdownTests : IAsyncLifetime
{
    private readonly BotAppFactory _app = new();

    public Task InitializeAsync() => _app.InitializeAsync();

    public async Task DisposeAsync() => await ((IAsyncLifetime)_app).DisposeAsync();

    /// <summary>A lifetime whose stop has begun, so the webhook is asked while the host is stopping, without stopping it.</summary>
    private sealed class Stopping : IHostApplicationLifetime
    {
        public CancellationToken ApplicationStarted => new(true);
        public CancellationToken ApplicationStopping => new(true);
        public CancellationToken ApplicationStopped => CancellationToken.None;
        public void StopApplication() { }
    }

    [Fact]
    public async Task Once_stopping_the_webhook_answers_503_with_Retry_After()
    {
        await _app.Post(Updates.Text(Updates.NewUserId(), "/start")); // 200 while running
        var http = new DefaultHttpContext { RequestServices = _app.Services };
        http.Request.Headers[TelegramWebhook.SecretHeader] = _app.Services.GetRequiredService<IOptions<TelegramOptions>>().Value.WebhookSecret;
        http.Request.Body = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(Updates.Text(Updates.NewUserId(), "/start").ToJsonString()));

        var result = await TelegramWebhook.Receive(http, _app.Services.GetRequiredService<IOptions<TelegramOptions>>(),
            _app.Services.GetRequiredService<Inbox>(), new Stopping());

        var problem = Assert.IsType<ProblemHttpResult>(result.Result);
        Assert.Equal(503, problem.StatusCode);
        Assert.Equal("shutting_down", problem.ProblemDetails.Extensions["code"]?.ToString());
        Assert.Equal("5", http.Response.Headers.RetryAfter.ToString());
    }
}
