use std::time::Instant;
use trafficlens::detect::{knn::{Index, training_neighbours}, Matrix, LofParams};
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let ds = trafficlens::data::load(&path, &Default::default()).unwrap();
    let x = Matrix::new(&ds.columns, &ds.feature_names).unwrap();
    let t = Instant::now(); let idx = Index::build(&x); eprintln!("build {:?}", t.elapsed());
    let t = Instant::now(); let nb = idx.query_self(21); eprintln!("query_self {:?}", t.elapsed());
    let t = Instant::now(); let tn = training_neighbours(&nb, 20); eprintln!("training_nb {:?} {}", t.elapsed(), tn.len());
    let t = Instant::now(); let f = LofParams::default().validate().unwrap().fit(&x).unwrap(); eprintln!("lof fit {:?} {}", t.elapsed(), f.n_neighbors());
}
