namespace NetGen.Generator;

/// <summary>The names of the pipeline's steps, which the caching tests track.</summary>
internal static class StepNames
{
    public const string Parse = nameof(Parse);
    public const string Analyze = nameof(Analyze);
    public const string Diagnostics = nameof(Diagnostics);
    public const string Model = nameof(Model);
    public const string Plan = nameof(Plan);
}
