# Makes Tests/Fixtures/embed/minilm-long-text.json (run in a throwaway venv with sentence-transformers and
# torch; never in CI): python scripts/minilm-long-text-ref.py ~/.cache/lai/minilm OUT.json
# Reference for lai's max_seq_length handling: sentence-transformers' all-MiniLM-L6-v2 vector of a text
# longer than its max_seq_length (256), which sentence-transformers truncates.
import json, sys
from sentence_transformers import SentenceTransformer
text = " ".join([
    "The first bicycles of the early nineteenth century had no pedals at all; riders pushed themselves along with their feet.",
    "Pedals fixed to the front wheel came in the 1860s, and because each turn of the cranks moved the machine only one wheel circumference, makers built ever larger front wheels.",
    "The high-wheeler, or penny-farthing, was fast but dangerous: a pothole could pitch the rider head first over the handlebars.",
    "The safety bicycle of the 1880s solved this with a chain drive to the rear wheel and two wheels of equal size, and the pneumatic tyre made it comfortable.",
    "Within a decade cycling clubs, touring maps and road improvement societies had spread across Europe and North America.",
    "Women in particular found new freedom of movement, and the bicycle influenced fashion, from divided skirts to lighter corsets.",
    "Mechanics who learned their trade in bicycle shops went on to build motor cars and aeroplanes; the Wright brothers ran one in Dayton, Ohio.",
    "In the twentieth century derailleur gears let riders climb steep mountain passes, and the Tour de France turned those climbs into legends.",
    "After the Second World War cars pushed bicycles off many roads, yet in the Netherlands and Denmark planners kept separate cycle paths.",
    "Today city bike-sharing schemes, electric assistance and cargo bicycles are bringing cycling back as everyday transport.",
    "A well maintained chain, correctly inflated tyres and brakes that bite firmly are the three things that matter most for a safe ride.",
    "Puncture repair is simple: remove the tube, find the hole by listening or with a bowl of water, roughen the area, apply glue, wait for it to dry, and press the patch on firmly.",
    "Commuters who ride every day save money, sleep better and arrive at work more alert than those who sit in traffic.",
    "Long-distance tourers carry panniers, a tent and a stove, covering eighty to a hundred kilometres a day through the countryside.",
    "Racing cyclists shave grams from their machines with carbon fibre frames, ceramic bearings and tubular tyres glued to the rims.",
    "Whatever the style, the basic geometry of the diamond frame has changed remarkably little since the safety bicycle first appeared.",
])
m = SentenceTransformer(sys.argv[1], device="cpu")
ids = m.tokenizer(text)["input_ids"]
v = m.encode([text], normalize_embeddings=True)[0]
json.dump({"model": "all-MiniLM-L6-v2 (sentence-transformers " + __import__("sentence_transformers").__version__ + ")",
           "max_seq_length": m.max_seq_length, "token_count": len(ids), "text": text,
           "embedding": [float(x) for x in v]}, open(sys.argv[2], "w"), indent=None)
print(m.max_seq_length, len(ids))
