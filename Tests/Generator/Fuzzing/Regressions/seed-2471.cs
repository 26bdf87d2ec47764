// Fuzz seed 2471: random shapes, member 'private partial Layer {0} {{ get; }}', class, training defaults, two files
// Found: the generated code breaks the user's: CS0102 The type 'N' already contains a definition for 'Forward' at B.cs: (5,69)-(5,76)
// ==== file: A.cs
using NetGen;
namespace Fuzz.Deep.Inner;
[Network(Channels = 10, Height = 92, Width = 5)]
[TrainingDefaults(Epochs = 90, LearningRate = 1e30f, Patience = 2)]
public class N
{
    [BatchNorm(Eps = 0f, Momentum = 0.1f)] public partial Layer Forward { get; }
}
// ==== file: B.cs
using NetGen;
namespace Fuzz.Deep.Inner;
[Network(Channels = 10, Height = 92, Width = 5)]
public class N
{
    [Dense(1), Conv(1, Kernel = 0, Groups = 4)] public partial Layer Forward { get; }
    [Add(nameof(L2))][Add(nameof(Forward))][Add(null)] private partial Layer L2 { get; }
    [Conv(7, Kernel = 152, Stride = 5, Groups = 2147483647)][Conv(1, Kernel = 8, Stride = 7, Pad = 1, Groups = 7, Round = Rounding.Exact)][Conv(82, Kernel = 3, Stride = 0, Pad = 11)] public partial Layer L3 { get; }
    public partial Layer L4 { get; }
}
