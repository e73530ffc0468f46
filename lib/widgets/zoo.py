"""Widgets of chapters/17_zoo.ipynb: every registered network in one chart, the reader choosing
the axes and the families, with the Pareto front of what is shown.

`zoo_chart(rows, latencies)` returns a `ZooChart`, whose HTML is a self-contained SVG chart:
the data of every network (counted by `lib.cost`, published accuracy from
`lib.models.references`, latency measured by `lib.zoo.measure`) and a short script that draws
it, in a notebook and in the static book alike (no kernel, nothing loaded from elsewhere).
Without JavaScript the page shows the chart's default view as a table instead.

The front drawn is that of `lib.zoo.pareto_front`: the networks that no other shown network
beats on both axes. `FRONT_JS` is the same function in JavaScript (tests/test_widgets_zoo.py
runs both on the same points).
"""
from __future__ import annotations

import hashlib
import html
import json
from dataclasses import dataclass

from lib.checks import one_of
from lib.html_table import table
from lib.zoo import FAMILIES, Latency, PaperScale

#: Quantity: (axis label, log scale, higher is better, unit divisor, digits shown).
QUANTITIES = {
    "top1": ("published ImageNet top-1 (%)", False, True, 1, 1),
    "macs": ("MACs per image (G)", True, False, 1e9, 3),
    "params": ("parameters (M)", True, False, 1e6, 2),
    "activations": ("activation memory per image (MiB)", True, False, 2 ** 20, 1),
    "latency": ("latency at batch 1 (ms)", True, False, 1e-3, 1),
    "throughput": ("throughput (images/s)", True, True, 1, 1),
}
COLOURS = {"classic": "#8c564b", "Inception": "#1f77b4", "residual": "#d62728",
           "DenseNet": "#9467bd", "mobile": "#2ca02c", "EfficientNet": "#ff7f0e"}

FRONT_JS = (
    "function paretoFront(pts,xHigher,yHigher){"
    "var sx=xHigher?-1:1,sy=yHigher?-1:1;"
    "var r=pts.slice().sort(function(a,b){return sx*a[0]-sx*b[0]||sy*a[1]-sy*b[1];});"
    "var f=[],best=null;r.forEach(function(p){if(best===null||sy*p[1]<best){f.push(p);"
    "best=sy*p[1];}});return f.sort(function(a,b){return a[0]-b[0];});}")

_DRAW_JS = r"""
var W=720,H=440,L=70,R=20,T=14,B=50,PW=W-L-R,PH=H-T-B;
function tk(lo,hi,log){var t=[];if(!log){var s=Math.pow(10,Math.floor(Math.log10(hi-lo||1)));
 if((hi-lo)/s<3)s/=2;for(var v=Math.ceil(lo/s)*s;v<=hi+1e-9;v+=s)t.push(+v.toFixed(6));return t;}
 for(var e=Math.floor(Math.log10(lo));e<=Math.ceil(Math.log10(hi));e++)[1,2,5].forEach(
 function(m){var v=m*Math.pow(10,e);if(v>=lo*0.999&&v<=hi*1.001)t.push(v);});
 if(t.length>8)t=t.filter(function(v){return Math.abs(Math.log10(v)%1)<1e-9;});return t;}
function fmt(v){return v>=1000?v.toLocaleString('en'):+v.toPrecision(3)+'';}
function esc(s){return String(s).replace(/&/g,'&amp;').replace(/</g,'&lt;');}
function draw(){
 var xs=root.querySelector('.zoo-x').value,ys=root.querySelector('.zoo-y').value;
 var qx=D.q[xs],qy=D.q[ys],fams={},names=root.querySelector('.zoo-names').checked;
 root.querySelectorAll('.zoo-f').forEach(function(el){fams[el.value]=el.checked;});
 var shown=[],missing=[];D.rows.forEach(function(r){if(!fams[r.family])return;
  var x=r.v[xs],y=r.v[ys];if(x==null||y==null)missing.push(r.name);else shown.push([x,y,r]);});
 var s='<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 '+W+' '+H+'" width="100%" '+
  'style="max-width:'+W+'px;font:11px sans-serif" role="img">';
 if(!shown.length){root.querySelector('.zoo-plot').innerHTML=s+'<text x="'+W/2+'" y="'+H/2+
  '" text-anchor="middle">no network has both values: choose other axes or families</text></svg>';
  root.querySelector('.zoo-missing').textContent='';return;}
 function rng(i,log){var v=shown.map(function(p){return p[i];}),lo=Math.min.apply(null,v),
  hi=Math.max.apply(null,v);if(log){lo/=1.35;hi*=1.35;}else{var m=(hi-lo||1)*0.08;lo-=m;hi+=m;}
  return [lo,hi];}
 var rx=rng(0,qx[1]),ry=rng(1,qy[1]);
 function sc(v,r,log,len){var a=log?Math.log(v/r[0])/Math.log(r[1]/r[0]):(v-r[0])/(r[1]-r[0]);
  return a*len;}
 function X(v){return L+sc(v,rx,qx[1],PW);}function Y(v){return T+PH-sc(v,ry,qy[1],PH);}
 tk(rx[0],rx[1],qx[1]).forEach(function(v){var x=X(v).toFixed(1);s+='<line x1="'+x+'" x2="'+x+
  '" y1="'+T+'" y2="'+(T+PH)+'" stroke="#e5e5e5"/><text x="'+x+'" y="'+(T+PH+14)+
  '" text-anchor="middle">'+fmt(v)+'</text>';});
 tk(ry[0],ry[1],qy[1]).forEach(function(v){var y=Y(v).toFixed(1);s+='<line x1="'+L+'" x2="'+
  (L+PW)+'" y1="'+y+'" y2="'+y+'" stroke="#e5e5e5"/><text x="'+(L-5)+'" y="'+y+
  '" dy="3" text-anchor="end">'+fmt(v)+'</text>';});
 s+='<rect x="'+L+'" y="'+T+'" width="'+PW+'" height="'+PH+'" fill="none" stroke="#888"/>';
 s+='<text x="'+(L+PW/2)+'" y="'+(H-12)+'" text-anchor="middle" font-size="12">'+esc(qx[0])+
  (qx[1]?', log scale':'')+'</text><text transform="translate(14 '+(T+PH/2)+') rotate(-90)" '+
  'text-anchor="middle" font-size="12">'+esc(qy[0])+(qy[1]?', log scale':'')+'</text>';
 var f=paretoFront(shown,qx[2],qy[2]);
 s+='<polyline class="zoo-front" fill="none" stroke="#333" stroke-dasharray="5 3" points="'+
  f.map(function(p){return X(p[0]).toFixed(1)+','+Y(p[1]).toFixed(1);}).join(' ')+'"/>';
 shown.forEach(function(p){var r=p[2],on=f.indexOf(p)>=0,x=X(p[0]).toFixed(1),y=Y(p[1]).toFixed(1);
  s+='<circle class="zoo-point" data-name="'+r.name+'" cx="'+x+'" cy="'+y+'" r="'+(on?5.5:4)+
  '" fill="'+D.colours[r.family]+'" stroke="'+(on?'#000':'#fff')+'"><title>'+esc(r.name)+' ('+
  r.family+')\n'+esc(qx[0])+': '+fmt(p[0])+'\n'+esc(qy[0])+': '+fmt(p[1])+'</title></circle>';
  var left=+x>L+PW-90;if(names||on)s+='<text x="'+(left?+x-6:+x+6)+'" y="'+(+y-5)+
   '" font-size="9.5" fill="#333"'+(left?' text-anchor="end"':'')+'>'+esc(r.name)+'</text>';});
 root.querySelector('.zoo-plot').innerHTML=s+'</svg>';
 root.querySelector('.zoo-front-names').textContent=f.map(function(p){return p[2].name;})
  .join(', ');
 root.querySelector('.zoo-missing').textContent=missing.length?'Not shown (no value on an '+
  'axis): '+missing.join(', ')+'.':'';}
root.querySelectorAll('select,input').forEach(function(el){el.addEventListener('change',draw);});
root.querySelector('.zoo-static').style.display='none';
root.querySelector('.zoo-live').style.display='';
draw();
"""


@dataclass
class ZooChart:
    """The chart's data and its default axes; `_repr_html_` is the chart."""
    rows: list[dict]
    quantities: dict[str, tuple]
    x: str
    y: str
    note: str = ""

    def points(self, x: str, y: str, families=FAMILIES):
        """(x, y, name) of every shown network that has both values."""
        return [(r["v"][x], r["v"][y], r["name"]) for r in self.rows
                if r["family"] in families and r["v"].get(x) is not None
                and r["v"].get(y) is not None]

    def front(self, x: str | None = None, y: str | None = None, families=FAMILIES):
        """The Pareto front the chart draws for these axes and families."""
        from lib.zoo import pareto_front
        x, y = x or self.x, y or self.y
        return pareto_front(self.points(x, y, families), not self.quantities[x][2],
                            self.quantities[y][2])

    def _payload(self) -> str:
        """The chart's data as JSON that cannot close the script element holding it."""
        return json.dumps({"rows": self.rows, "colours": COLOURS,
                           "q": {k: list(v[:3]) for k, v in self.quantities.items()}},
                          separators=(",", ":")).replace("</", "<\\/")

    def _fallback(self) -> str:
        """The default view as a table, for pages read without JavaScript."""
        qx, qy = self.quantities[self.x], self.quantities[self.y]
        on_front = {p[2] for p in self.front()}
        rows = [[html.escape(name) + (" ◆" if name in on_front else ""), f"{vx:.{qx[4]}f}",
                 f"{vy:.{qy[4]}f}"] for vx, vy, name in sorted(self.points(self.x, self.y))]
        return table(["network (◆ on the front)", html.escape(qx[0]), html.escape(qy[0])], rows,
                     numeric={1, 2})

    def _repr_html_(self) -> str:
        payload = self._payload()
        uid = "zoo-" + hashlib.sha1(payload.encode()).hexdigest()[:12]

        def select(cls, chosen):
            options = "".join(
                f"<option value='{k}'{' selected' if k == chosen else ''}>"
                f"{html.escape(v[0])}</option>" for k, v in self.quantities.items())
            return f"<select class='{cls}'>{options}</select>"

        families = "".join(
            f"<label style='margin-right:.8em;white-space:nowrap'><input type='checkbox' "
            f"class='zoo-f' value='{f}' checked> <span style='color:{COLOURS[f]}'>●</span> "
            f"{f}</label>" for f in FAMILIES)
        controls = (f"<div>x: {select('zoo-x', self.x)} &nbsp; y: {select('zoo-y', self.y)} "
                    f"&nbsp; <label><input type='checkbox' class='zoo-names'> names</label></div>"
                    f"<div style='margin:.3em 0'>{families}</div>")
        note = f"<p style='font-size:.9em'>{self.note}</p>" if self.note else ""
        return (
            f"<div class='zoo-chart' id='{uid}'>"
            f"<div class='zoo-live' style='display:none'>{controls}<div class='zoo-plot'></div>"
            f"<p style='font-size:.9em'>Pareto front (dashed): <span class='zoo-front-names'>"
            f"</span></p><p class='zoo-missing' style='font-size:.9em'></p></div>"
            f"<div class='zoo-static'>{self._fallback()}</div>{note}"
            f"<script type='application/json' class='zoo-data'>{payload}"
            f"</script><script>(function(){{var root=document.getElementById('{uid}');"
            f"if(!root||root.dataset.ready)return;root.dataset.ready='1';"
            f"var D=JSON.parse(root.querySelector('.zoo-data').textContent);"
            f"{FRONT_JS}{_DRAW_JS}}})();</script></div>")


def _value(v, divisor):
    return None if v is None else round(v / divisor, 6)


def zoo_chart(rows: list[PaperScale], latencies: list[Latency] = (), x: str = "macs",
              y: str = "top1", note: str = "") -> ZooChart:
    """The chart of `rows` (from `lib.zoo.paper_scale`) with the measured `latencies` (from
    `lib.zoo.measure`): on each device measured, latency at batch 1 and throughput at the
    largest batch measured become axes too."""
    devices = sorted({l.device for l in latencies})
    quantities = dict(QUANTITIES) if devices else {
        k: v for k, v in QUANTITIES.items() if k not in ("latency", "throughput")}
    if devices:
        del quantities["latency"], quantities["throughput"]
        for d in devices:
            quantities[f"latency_{d}"] = (f"latency at batch 1 on {d} (ms)",
                                          *QUANTITIES["latency"][1:])
            quantities[f"throughput_{d}"] = (f"throughput on {d} (images/s)",
                                             *QUANTITIES["throughput"][1:])
    one_of("x", x, quantities)
    one_of("y", y, quantities)
    out = []
    for r in rows:
        v = {"top1": r.top1, "macs": _value(r.macs, 1e9), "params": _value(r.params, 1e6),
             "activations": _value(r.activation_bytes, 2 ** 20)}
        for d in devices:
            mine = [l for l in latencies if l.name == r.name and l.device == d]
            first = [l for l in mine if l.batch_size == 1]
            v[f"latency_{d}"] = _value(first[0].seconds, 1e-3) if first else None
            biggest = max(mine, key=lambda l: l.batch_size, default=None)
            v[f"throughput_{d}"] = (None if biggest is None
                                    else round(biggest.images_per_second, 3))
        out.append({"name": r.name, "family": r.family, "chapter": r.chapter, "v": v})
    return ZooChart(out, quantities, x, y, note)
