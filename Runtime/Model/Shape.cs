namespace NetGen;

/// <summary>The shape of one image's activation, channels x height x width (a dense layer's output is units x 1 x 1).</summary>
public readonly record struct Shape(int Channels, int Height, int Width)
{
    /// <summary>Number of floats per image.</summary>
    public int Size => Channels * Height * Width;

    /// <summary>Whether it is a vector: units x 1 x 1, as a dense layer writes.</summary>
    public bool IsVector => Height == 1 && Width == 1;

    /// <summary>"96 x 55 x 55", or "4096" for a vector.</summary>
    public override string ToString() =>
        IsVector ? Channels.ToString() : $"{Channels} x {Height} x {Width}";

    /// <summary>The shape as a (channels, height, width) tuple.</summary>
    public static implicit operator (int Channels, int Height, int Width)(Shape s) => (s.Channels, s.Height, s.Width);
}
