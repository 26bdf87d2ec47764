namespace NetGen.Generator.Model;

/// <summary>One image's activation: channels x height x width. A dense output is units x 1 x 1.</summary>
internal readonly record struct Shape(int Channels, int Height, int Width)
{
    public long Size => (long)Channels * Height * Width;

    public bool IsVector => Height == 1 && Width == 1;

    public override string ToString() => IsVector ? $"{Channels}" : $"{Channels} x {Height} x {Width}";
}
