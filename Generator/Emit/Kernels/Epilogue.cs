using NetGen.Generator.Model;

namespace NetGen.Generator.Emit.Kernels;

/// <summary>The elementwise operations a kernel applies to <c>value</c> before storing it.</summary>
internal static class Epilogue
{
    public static void Write(SourceWriter w, OpModel op)
    {
        switch (op.Op)
        {
            case ReluSpec:
                w.Line("value = value > 0f ? value : 0f; // ReLU");
                break;
            case DropoutSpec d:
                float scale = 1f / (1f - d.Rate);
                w.Line($"// Dropout({Format.Float(d.Rate)}), inverted: survivors are scaled by 1 / (1 - rate) in training, nothing happens in evaluation.");
                w.Line("if (dropout.Training != 0)");
                w.Line($"    value = dropout.Keeps({op.Id}, index, {Format.FloatLiteral(d.Rate)}) ? value * {Format.FloatLiteral(scale)} : 0f;");
                break;
            default:
                throw UnknownOperation.In(nameof(Epilogue), op.Op);
        }
    }
}
