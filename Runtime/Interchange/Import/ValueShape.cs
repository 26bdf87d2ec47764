namespace NetGen.Interchange;

/// <summary>
/// The shape of a value for one image as NetGen sees it, and whether ONNX sees it flattened. NetGen
/// never flattens: a dense layer reads its input's values in order, so ONNX's Flatten before a Gemm
/// writes nothing; a (C, H, W) value flattened by ONNX is still (C, H, W) to NetGen.
/// </summary>
/// <param name="Shape">NetGen's shape: channels x height x width, units x 1 x 1 after a dense layer.</param>
/// <param name="Flat">Whether ONNX holds it as (N, features) rather than (N, C, H, W).</param>
internal readonly record struct ValueShape(Shape Shape, bool Flat)
{
    /// <summary>ONNX's view of it: <c>(N, 4096)</c> or <c>(N, 96, 55, 55)</c>.</summary>
    public override string ToString() => Flat ? $"(N, {Shape.Size})" : $"(N, {Shape.Channels}, {Shape.Height}, {Shape.Width})";
}
