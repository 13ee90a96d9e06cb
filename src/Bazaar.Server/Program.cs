using Bazaar.Server;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddBazaar(builder.Configuration, builder.Environment);

var app = builder.Build();
app.UseBazaar();
app.Run();

/// <summary>Entry point; public so tests can host it with WebApplicationFactory.</summary>
public partial class Program;
